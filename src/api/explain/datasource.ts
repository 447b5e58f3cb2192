// A claim restored from a VolumeSnapshot or cloned from a claim waits for its source: the checks
// external-provisioner makes before CreateVolume (getVolumeContentSource), in its words.
import type { PersistentVolumeClaim } from "../core/types.js";
import { named, type ClusterObjects } from "./cluster.js";
import type { Verdict } from "./verdict.js";

/** Blocks the verdict at the snapshot step (and returns false) when the claim's data source is not ready. */
export function checkDataSource(cluster: ClusterObjects, claim: PersistentVolumeClaim, verdict: Verdict): boolean {
  const source = claim.spec.dataSourceRef ?? claim.spec.dataSource;
  if (!source) return true;
  const namespace = claim.metadata.namespace ?? "";
  const prefix = `error getting handle for DataSource Type ${source.kind} by Name ${source.name}`;
  if (source.kind === "VolumeSnapshot") {
    const snapshot = named(cluster.volumeSnapshots, source.name, namespace);
    if (!snapshot) {
      return !verdict.block(
        "snapshot",
        "SnapshotNotFound",
        `${prefix}: volumesnapshots.snapshot.storage.k8s.io "${source.name}" not found`,
        `create VolumeSnapshot ${source.name} in namespace ${namespace}, or restore from one that exists`,
      );
    }
    if (!snapshot.status?.readyToUse) {
      const error = snapshot.status?.error?.message;
      verdict.see("VolumeSnapshot", source.name, `readyToUse=false${error ? `, error: ${error}` : ""}`, namespace);
      return !verdict.block(
        "snapshot",
        "SnapshotNotReady",
        `${prefix}: snapshot ${source.name} is not Ready`,
        `run: stowage explain volumesnapshot/${source.name} -n ${namespace}; the claim is provisioned once it is ready`,
      );
    }
    verdict.done("snapshot", `VolumeSnapshot ${source.name} is ready to use`);
    return true;
  }
  if (source.kind === "PersistentVolumeClaim") {
    const sourceClaim = named(cluster.claims, source.name, namespace);
    if (!sourceClaim) {
      return !verdict.block(
        "snapshot",
        "SourceClaimNotFound",
        `${prefix}: persistentvolumeclaims "${source.name}" not found`,
        `create claim ${source.name}, or clone from a claim that exists`,
      );
    }
    if (sourceClaim.status?.phase !== "Bound") {
      return !verdict.block(
        "snapshot",
        "SourceClaimNotBound",
        `${prefix}: claim in dataSource not bound or invalid`,
        `run: stowage explain pvc/${source.name} -n ${namespace}; the clone is made once the source is Bound`,
      );
    }
    verdict.done("snapshot", `source claim ${source.name} is Bound`);
  }
  return true;
}
