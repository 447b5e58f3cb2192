// /metrics on the kubelet port, as the kubelet serves it: a client certificate verified against --client-ca-file
// authenticates; the apiserver's kubelet client and system:masters may; anyone else is asked of the apiserver with a
// SubjectAccessReview for get on nodes/metrics (the kubelet's webhook authorization, as Prometheus' RBAC grants it).
// Nobody anonymous: without a verified certificate it is 401, as every kubelet path is here.
import type { IncomingMessage } from "node:http";
import type { TLSSocket } from "node:tls";
import { register } from "prom-client";
import { apiserverKubeletClientUser, systemMastersGroup, type KubeletRefusal } from "./auth.js";

export interface MetricsUser {
  name: string;
  groups: string[];
}

/** Asks the apiserver whether `user` may get nodes/metrics on this node (a SubjectAccessReview). */
export type AuthorizeNodeMetrics = (user: MetricsUser) => Promise<boolean>;

/** Undefined: allowed. Otherwise the kubelet's plain-text refusal. */
export async function metricsRefusal(
  req: IncomingMessage,
  authorize: AuthorizeNodeMetrics | undefined,
): Promise<KubeletRefusal | undefined> {
  const socket = req.socket as TLSSocket;
  if (!socket.encrypted || !socket.authorized) return { code: 401, message: "Unauthorized" };
  const subject = socket.getPeerCertificate()?.subject ?? {};
  const name = typeof subject.CN === "string" ? subject.CN : "";
  const groups = subject.O === undefined ? [] : ([] as string[]).concat(subject.O);
  if (name === apiserverKubeletClientUser || groups.includes(systemMastersGroup)) return undefined;
  if (authorize && (await authorize({ name, groups: [...groups, "system:authenticated"] }))) return undefined;
  return { code: 403, message: `Forbidden (user=${name}, verb=get, resource=nodes, subresource=metrics)` };
}

/** Every metric this process registered (the node agent's volume manager, kubelet_volume_stats_*, operations). */
export async function metricsText(): Promise<{ contentType: string; text: string }> {
  return { contentType: register.contentType, text: await register.metrics() };
}
