// The Node authorizer, as upstream's (plugin/pkg/auth/authorizer/node): a node (user system:node:<name> in
// group system:nodes) may read only the Secrets, ConfigMaps, claims, volumes and attachments its own pods need,
// touch only its own Lease and CSINode, and otherwise do what upstream's node rules allow. Other users: no opinion.
import { NodeUserPrefix, NodesGroup, type RequestAttributes, type UserInfo } from "../../api/user.js";
import { nodeRules } from "./bootstrap.js";
import type { NodeGraph } from "./nodegraph.js";
import type { Decision } from "./rbac.js";
import { ruleAllows } from "./rules.js";

/** The node a user is, or undefined when the user is not a node. */
export function nodeIdentity(user: UserInfo): string | undefined {
  if (!user.groups.includes(NodesGroup) || !user.name.startsWith(NodeUserPrefix)) return undefined;
  return user.name.slice(NodeUserPrefix.length);
}

const allow: Decision = { allowed: true, reason: "" };
const noOpinion = (reason: string): Decision => ({ allowed: false, reason });

function viaGraph(graph: NodeGraph, node: string, a: RequestAttributes): Decision {
  if (!a.name) return noOpinion("No Object name found");
  return graph.reaches(node, a.resource, a.namespace, a.name)
    ? allow
    : noOpinion(`no relationship found between node '${node}' and this object`);
}

function readNamespaced(graph: NodeGraph, node: string, a: RequestAttributes): Decision {
  if (!["get", "list", "watch"].includes(a.verb)) return noOpinion("can only read resources of this type");
  if (a.subresource) return noOpinion("cannot read subresource");
  if (!a.namespace) return noOpinion("can only read namespaced object of this type");
  return viaGraph(graph, node, a);
}

function getOnly(graph: NodeGraph, node: string, a: RequestAttributes): Decision {
  if (a.verb !== "get") return noOpinion("can only get individual resources of this type");
  if (a.subresource) return noOpinion("cannot get subresource");
  return viaGraph(graph, node, a);
}

const ownObjectVerbs = ["get", "create", "update", "patch", "delete"];

export function authorizeNode(graph: NodeGraph, a: RequestAttributes): Decision {
  const node = nodeIdentity(a.user);
  if (node === undefined) return noOpinion("");
  if (!node) return noOpinion(`unknown node for user ${JSON.stringify(a.user.name)}`);
  if (a.resourceRequest) {
    switch (`${a.apiGroup}/${a.resource}`) {
      case "/secrets":
      case "/configmaps":
        return readNamespaced(graph, node, a);
      case "/persistentvolumeclaims":
        if (a.subresource === "status") {
          if (a.verb !== "update" && a.verb !== "patch")
            return noOpinion("can only update or patch status of this type");
          return viaGraph(graph, node, a);
        }
        return getOnly(graph, node, a);
      case "/persistentvolumes":
      case "storage.k8s.io/volumeattachments":
        return getOnly(graph, node, a);
      case "/serviceaccounts":
        if (a.verb !== "create" || a.subresource !== "token")
          return noOpinion("can only create tokens for individual service accounts");
        return viaGraph(graph, node, { ...a, subresource: "" });
      case "coordination.k8s.io/leases":
        if (!ownObjectVerbs.includes(a.verb) || a.subresource)
          return noOpinion("can only get, create, update, patch, or delete a node lease");
        if (a.namespace !== "kube-node-lease")
          return noOpinion("can only access leases in the kube-node-lease namespace");
        if (a.verb !== "create" && a.name !== node)
          return noOpinion("can only access node lease with the same name as the requesting node");
        return allow;
      case "storage.k8s.io/csinodes":
        if (!ownObjectVerbs.includes(a.verb) || a.subresource)
          return noOpinion("can only get, create, update, patch, or delete a CSINode");
        if (a.verb !== "create" && a.name !== node)
          return noOpinion("can only access CSINode with the same name as the requesting node");
        return allow;
    }
  }
  return nodeRules.some((rule) => ruleAllows(a, rule)) ? allow : noOpinion("");
}
