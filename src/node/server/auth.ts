// Who may use the kubelet API (pkg/kubelet/server/auth.go and server.go's InstallAuthFilter): HTTPS only, and a
// request is answered only when its TLS client certificate verifies against the configured client CA
// (--client-ca-file) and names the apiserver's kubelet client — kube-apiserver's --kubelet-client-certificate,
// CN kube-apiserver-kubelet-client in group system:masters. Upstream authorizes the rest with a
// SubjectAccessReview on nodes/proxy; here no one else needs the port, so any other identity is refused.
// Refusals are the kubelet's plain-text answers: 401 "Unauthorized", 403 "Forbidden (user=…, verb=…, …)".
import type { IncomingMessage } from "node:http";
import type { TLSSocket } from "node:tls";

/** The kubelet's serving certificate and key, and the CA of the clients it accepts (PEM). */
export interface KubeletServingTls {
  /** --tls-cert-file: must name the addresses the apiserver dials (the Node's InternalIP, hostname). */
  cert: string;
  /** --tls-private-key-file */
  key: string;
  /** --client-ca-file: the CA that signed the apiserver's kubelet client certificate. */
  clientCA: string;
}

/** The CN kubeadm gives kube-apiserver's kubelet client certificate (apiserver-kubelet-client.crt). */
export const apiserverKubeletClientUser = "kube-apiserver-kubelet-client";
/** The group whose members Kubernetes never denies; kubeadm puts the apiserver's kubelet client in it. */
export const systemMastersGroup = "system:masters";

/** The flags that give the kubelet API its TLS material, named in every refusal to start without it. */
export const kubeletTlsFlags = "--tls-cert-file, --tls-private-key-file and --client-ca-file";

/** The kubelet API cannot start: what is missing, and the flags that give it. */
export class KubeletTlsMissingError extends Error {
  constructor(missing: string[]) {
    super(
      `the kubelet API serves HTTPS to the apiserver only and has no ${missing.join(", ")}: ` +
        `give it a serving certificate, its key and the CA of the apiserver's kubelet client certificate ` +
        `(${kubeletTlsFlags})`,
    );
  }
}

/** The TLS material, or a KubeletTlsMissingError naming every part that is missing: never a plain-HTTP port. */
export function requireKubeletTls(tls: Partial<KubeletServingTls> | undefined): KubeletServingTls {
  const missing = [
    ...(tls?.cert ? [] : ["serving certificate"]),
    ...(tls?.key ? [] : ["private key"]),
    ...(tls?.clientCA ? [] : ["client CA"]),
  ];
  if (missing.length > 0 || !tls?.cert || !tls.key || !tls.clientCA) throw new KubeletTlsMissingError(missing);
  return { cert: tls.cert, key: tls.key, clientCA: tls.clientCA };
}

/** A refused request: the status and the plain-text body the kubelet answers with. */
export interface KubeletRefusal {
  code: 401 | 403;
  message: string;
}

/** The kubelet's request attributes (GetRequestAttributes): the HTTP method's verb. */
const verbs: Record<string, string> = { POST: "create", GET: "get", PUT: "update", PATCH: "patch", DELETE: "delete" };

/**
 * Authenticates and authorizes one request from its TLS connection's client certificate. Undefined: allowed.
 * Every path the kubelet serves here (containerLogs, exec, healthz) is the nodes/proxy subresource upstream.
 */
export function refusal(req: IncomingMessage): KubeletRefusal | undefined {
  const socket = req.socket as TLSSocket;
  // authorized: the handshake verified the certificate against the client CA (rejectUnauthorized is off so that
  // the refusal can be an HTTP answer instead of a torn-down handshake).
  if (!socket.encrypted || !socket.authorized) return { code: 401, message: "Unauthorized" };
  const peer = socket.getPeerCertificate();
  const subject = peer?.subject ?? {};
  const user = typeof subject.CN === "string" ? subject.CN : "";
  const groups = subject.O === undefined ? [] : ([] as string[]).concat(subject.O);
  if (user === apiserverKubeletClientUser || groups.includes(systemMastersGroup)) return undefined;
  const verb = verbs[req.method ?? ""] ?? "";
  return { code: 403, message: `Forbidden (user=${user}, verb=${verb}, resource=nodes, subresource=proxy)` };
}
