// coordination.k8s.io/v1 Lease: leader election and node heartbeats, as upstream's k8s.io/api/coordination/v1.
import type { KubeObject } from "../meta.js";

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  /** RFC 3339 with microseconds (MicroTime), e.g. "2024-01-02T03:04:05.000000Z". */
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
  strategy?: string;
  preferredHolder?: string;
}

export interface Lease extends KubeObject {
  apiVersion: "coordination.k8s.io/v1";
  kind: "Lease";
  spec?: LeaseSpec;
}
