// VolumeRestrictions (ReadWriteOncePod), as upstream's volume_restrictions_test.go rows.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { PersistentVolumeAccessMode, Pod } from "../api/core/types.js";
import type { VolumeView } from "./volumebinding.js";
import { ErrReasonReadWriteOncePodConflict, filterReadWriteOncePod } from "./volumerestrictions.js";

const view = (modes: PersistentVolumeAccessMode[]): VolumeView => ({
  claim: (namespace, name) => ({
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name, namespace },
    spec: { accessModes: modes },
  }),
  volume: () => undefined,
  volumesOfClass: () => [],
  storageClass: () => undefined,
  csiDriver: () => undefined,
  capacities: () => [],
  assumedClaimOf: () => undefined,
});
const pod = (name: string, phase?: "Running" | "Succeeded"): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: "default", uid: `uid-${name}` },
  spec: { containers: [], volumes: [{ name: "data", persistentVolumeClaim: { claimName: "data" } }] },
  status: phase ? { phase } : undefined,
});

const cases = [
  { name: "a ReadWriteOncePod claim nobody uses", modes: ["ReadWriteOncePod"], users: [], want: undefined },
  {
    name: "a ReadWriteOncePod claim another pod uses",
    modes: ["ReadWriteOncePod"],
    users: [pod("other")],
    want: ErrReasonReadWriteOncePodConflict,
  },
  { name: "the pod itself (assumed) is no conflict", modes: ["ReadWriteOncePod"], users: [pod("p")], want: undefined },
  {
    name: "a finished pod no longer holds it",
    modes: ["ReadWriteOncePod"],
    users: [pod("done", "Succeeded")],
    want: undefined,
  },
  {
    name: "ReadWriteOnce claims may be shared by pods",
    modes: ["ReadWriteOnce"],
    users: [pod("other")],
    want: undefined,
  },
] satisfies { name: string; modes: PersistentVolumeAccessMode[]; users: Pod[]; want: string | undefined }[];
for (const c of cases) {
  test(c.name, () => assert.equal(filterReadWriteOncePod(view(c.modes), pod("p"), () => c.users)?.reasons[0], c.want));
}
