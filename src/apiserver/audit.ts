// Audit annotations: admission plugins record them on a write (upstream's Attributes.AddAnnotation; PodSecurity's
// pod-security.kubernetes.io/audit-violations, its enforce-policy), and kube-apiserver writes them into that
// request's audit event. stowage keeps no audit log: the apiserver hands each write's annotations to the `audit`
// hook of ApiServerOptions when one is given, and otherwise they go nowhere, as upstream's do with no audit policy.
import type { UserInfo } from "../api/user.js";

export interface AuditEvent {
  user?: UserInfo;
  method: string;
  path: string;
  annotations: Record<string, string>;
}
