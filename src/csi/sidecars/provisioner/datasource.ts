// Restore and clone (external-provisioner's getVolumeContentSource): a claim's dataSource / dataSourceRef naming a
// VolumeSnapshot (snapshot.storage.k8s.io) or a PersistentVolumeClaim in the same namespace becomes CreateVolume's
// volume_content_source. The source must be ready (snapshot readyToUse, claim Bound) and the new claim at least
// as large as it; otherwise provisioning fails with upstream's words and is retried (ProvisioningNoChange).
import type { PersistentVolumeClaim } from "../../../api/core/types.js";
import { volumeCapacity } from "../../../api/storagerules/capacity.js";
import { isNotFound } from "../../../client/index.js";
import type { VolumeContentSource } from "../../generated/csi/v1/VolumeContentSource.js";
import type { ProvisionerContext } from "./context.js";

export class DataSourceError extends Error {
  override name = "DataSourceError";
}

const snapshotGroup = "snapshot.storage.k8s.io";

/** The content source for the claim's data source, or undefined when it has none. Throws DataSourceError. */
export async function volumeContentSource(
  ctx: ProvisionerContext,
  claim: PersistentVolumeClaim,
  requiredBytes: bigint,
): Promise<VolumeContentSource | undefined> {
  const source = claim.spec.dataSourceRef ?? claim.spec.dataSource;
  if (!source) return undefined;
  const namespace = claim.spec.dataSourceRef?.namespace || claim.metadata.namespace || "";
  if (namespace !== claim.metadata.namespace) {
    // Upstream provisions across namespaces only with the alpha CrossNamespaceVolumeDataSource feature gate and a
    // gateway.networking.k8s.io ReferenceGrant in the source's namespace; stowage has neither, so the claim is refused
    // (stays Pending with this ProvisioningFailed event) rather than reading another namespace's data unchecked.
    throw new DataSourceError(
      `cross-namespace data source ${source.kind} ${namespace}/${source.name} refused: stowage does not support ` +
        `CrossNamespaceVolumeDataSource (no ReferenceGrant); use a source in namespace ${claim.metadata.namespace ?? ""}`,
    );
  }
  const wrap = (message: string) =>
    new DataSourceError(`error getting handle for DataSource Type ${source.kind} by Name ${source.name}: ${message}`);
  if (source.kind === "VolumeSnapshot" && source.apiGroup === snapshotGroup) {
    let snapshot;
    try {
      snapshot = await ctx.client.volumeSnapshots.get(namespace, source.name);
    } catch (err) {
      if (isNotFound(err))
        throw wrap(
          `error getting snapshot ${source.name} from api server: volumesnapshots.snapshot.storage.k8s.io "${source.name}" not found`,
        );
      throw err;
    }
    if (!snapshot.status?.readyToUse) throw wrap(`snapshot ${source.name} is not Ready`);
    const contentName = snapshot.status.boundVolumeSnapshotContentName;
    if (!contentName) throw wrap(`snapshot ${source.name} not bound`);
    const content = await ctx.client.volumeSnapshotContents.get(contentName);
    const handle = content.status?.snapshotHandle;
    if (!handle) throw wrap(`snapshot handle is nil for content ${contentName}`);
    if (content.spec.driver !== ctx.driverName) {
      throw wrap(
        `driver from VolumeSnapshotContent ${content.spec.driver} does not match the driver ${ctx.driverName} of the claim's class`,
      );
    }
    const size = BigInt(content.status?.restoreSize ?? 0);
    if (requiredBytes < size) {
      throw wrap(
        `requested volume size ${requiredBytes} is less than the size ${size} for the source snapshot ${source.name}`,
      );
    }
    return { snapshot: { snapshot_id: handle }, type: "snapshot" };
  }
  if (source.kind === "PersistentVolumeClaim" && !source.apiGroup) {
    const sourceClaim = ctx.claims.get(`${namespace}/${source.name}`);
    if (!sourceClaim)
      throw wrap(
        `error getting PVC ${source.name} (namespace "${namespace}") from api server: persistentvolumeclaims "${source.name}" not found`,
      );
    if (sourceClaim.status?.phase !== "Bound" || !sourceClaim.spec.volumeName)
      throw wrap(`claim in dataSource not bound or invalid`);
    const volume = ctx.volumes.get(sourceClaim.spec.volumeName);
    if (!volume?.spec.csi) throw wrap(`claim in dataSource not bound or invalid`);
    if (volume.spec.csi.driver !== ctx.driverName)
      throw wrap(`the source PVC and destination PVCs must be handled by the same driver`);
    if ((sourceClaim.spec.storageClassName ?? "") !== (claim.spec.storageClassName ?? "")) {
      throw wrap(
        `the source PVC and destination PVCs must be in the same storage class for cloning.  Source is in ${sourceClaim.spec.storageClassName}, but new PVC is in ${claim.spec.storageClassName}`,
      );
    }
    const size = volumeCapacity(volume).value;
    if (requiredBytes < size) {
      throw wrap(
        `error, new PVC request must be greater than or equal in size to the specified PVC data source, requested ${requiredBytes} but source is ${size}`,
      );
    }
    return { volume: { volume_id: volume.spec.csi.volumeHandle }, type: "volume" };
  }
  throw new DataSourceError(
    `unsupported data source ${source.apiGroup ? `${source.apiGroup}/` : ""}${source.kind} ${source.name}`,
  );
}
