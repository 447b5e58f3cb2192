// Who may do what, for every request the apiserver serves once security is configured: authenticate (the
// in-process caller's own identity, a verified client certificate, a bearer token, or system:anonymous), apply
// impersonation, then authorize as kube-apiserver's union of authorizers does — system:masters first, then the
// configured modes in order (Node, RBAC, AlwaysAllow); the first to allow wins, and a request none allows is 403
// with upstream's message and every authorizer's reason.
import type { ApiRequest } from "../../api/http.js";
import type { PolicyRule } from "../../api/rbac/types.js";
import { SystemMasters, type RequestAttributes, type UserInfo } from "../../api/user.js";
import { authenticate, type Authenticators } from "../authn/authenticate.js";
import { impersonatedUser, impersonationChecks, impersonationOf } from "../authn/impersonation.js";
import { forbidden, requestAttributes } from "./attributes.js";
import { authorizeNode } from "./node.js";
import type { NodeGraph } from "./nodegraph.js";
import { authorizeRbac, rulesFor, type Decision, type RbacPolicy } from "./rbac.js";

export type AuthorizationMode = "AlwaysAllow" | "Node" | "RBAC";
export const authorizationModes: readonly AuthorizationMode[] = ["AlwaysAllow", "Node", "RBAC"];

export interface SecurityOptions {
  authentication: Authenticators;
  /** --authorization-mode, in order (kube-apiserver's default with kubeadm: Node,RBAC). */
  authorization: AuthorizationMode[];
}

export class RequestGate {
  constructor(
    private readonly options: SecurityOptions,
    private readonly policy: RbacPolicy,
    private readonly graph: NodeGraph,
  ) {}

  /** The union authorizer's decision on one request's attributes. */
  authorize(attributes: RequestAttributes): Decision {
    if (attributes.user.groups.includes(SystemMasters)) return { allowed: true, reason: "" };
    const reasons: string[] = [];
    for (const mode of this.options.authorization) {
      const decision =
        mode === "AlwaysAllow"
          ? { allowed: true, reason: "" }
          : mode === "Node"
            ? authorizeNode(this.graph, attributes)
            : authorizeRbac(this.policy, attributes);
      if (decision.allowed) return decision;
      if (decision.reason) reasons.push(decision.reason);
    }
    return { allowed: false, reason: reasons.join(", ") };
  }

  /** What RBAC grants the user in a namespace (SelfSubjectRulesReview); masters hold everything. */
  rules(user: UserInfo, namespace: string): PolicyRule[] {
    if (user.groups.includes(SystemMasters) || this.options.authorization.includes("AlwaysAllow")) {
      return [
        { verbs: ["*"], apiGroups: ["*"], resources: ["*"] },
        { verbs: ["*"], nonResourceURLs: ["*"] },
      ];
    }
    return this.options.authorization.includes("RBAC") ? rulesFor(this.policy, user, namespace) : [];
  }

  /** Authenticates and authorizes a request; the user it runs as, or a 401/403 StatusError. */
  async admit(request: ApiRequest): Promise<UserInfo> {
    let user =
      request.user ??
      (await authenticate(this.options.authentication, {
        clientCertificate: request.clientCertificate,
        authorization: request.headers.authorization,
      }));
    const wanted = impersonationOf(request.headers);
    if (wanted) {
      for (const check of impersonationChecks(user, wanted)) {
        const decision = this.authorize(check);
        if (!decision.allowed) throw forbidden(check, decision.reason);
      }
      user = impersonatedUser(wanted);
    }
    // system:masters may do anything (upstream's privileged-groups authorizer answers first): no attributes needed
    if (user.groups.includes(SystemMasters)) return user;
    const attributes = requestAttributes(request, user);
    const decision = this.authorize(attributes);
    if (!decision.allowed) throw forbidden(attributes, decision.reason);
    return user;
  }
}
