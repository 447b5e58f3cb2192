// Online expansion on the node (operation_generator.go nodeExpandVolume, volume/util/resize_util.go): when the
// resizer grew the volume (PV capacity above the claim's status capacity) and the claim says
// FileSystemResizePending, the agent calls NodeExpandVolume on the published volume and then records the new
// size on the claim, clearing the condition (MarkFSResizeFinished).
import type { PersistentVolume, PersistentVolumeClaim } from "../../api/core/types.js";
import { Quantity } from "../../api/quantity.js";
import type { Client } from "../../client/index.js";
import type { MountedVolume } from "../volumemanager/actual.js";
import { describeCause, VolumeOperationError, type PluginContext } from "./context.js";
import type { CsiVolume } from "./csivolume.js";
import type { NodeExpander } from "./plugin.js";

const resizePending = "FileSystemResizePending";

/** The size to expand the mounted volume to, or undefined when the claim waits for no node expansion. */
export function pendingNodeExpansion(
  claim: PersistentVolumeClaim | undefined,
  pv: PersistentVolume | undefined,
): Quantity | undefined {
  if (!claim || !pv) return undefined;
  const pending =
    claim.status?.conditions?.some((c) => c.type === resizePending && c.status === "True") ||
    claim.status?.allocatedResourceStatuses?.storage === "NodeResizePending";
  if (!pending) return undefined;
  const want = pv.spec.capacity?.storage;
  const have = claim.status?.capacity?.storage;
  if (!want) return undefined;
  const wanted = Quantity.parse(want, "spec.capacity[storage]");
  if (have && Quantity.parse(have, "status.capacity[storage]").cmp(wanted) >= 0) return undefined;
  return wanted;
}

export async function expandVolume(
  ctx: PluginContext,
  client: Client,
  mounted: MountedVolume,
  claim: PersistentVolumeClaim,
  pv: PersistentVolume,
  size: Quantity,
): Promise<PersistentVolumeClaim | undefined> {
  if (!mounted.csi) return undefined;
  const driver = ctx.csi.get(mounted.csi.driverName);
  try {
    await driver.client.node.NodeExpandVolume({
      volume_id: mounted.csi.volumeHandle,
      volume_path: mounted.csi.targetPath,
      staging_target_path: mounted.csi.stagingPath ?? "",
      capacity_range: { required_bytes: Number(size.value) },
      // A raw block volume is expanded with a block capability at its publish path (csi_expander.go): the driver
      // grows the device, there is no filesystem to resize.
      volume_capability:
        mounted.csi.volumeMode === "Block"
          ? { block: {}, access_mode: { mode: "SINGLE_NODE_WRITER" } }
          : {
              mount: { fs_type: pv.spec.csi?.fsType ?? "", mount_flags: pv.spec.mountOptions ?? [] },
              access_mode: { mode: "SINGLE_NODE_WRITER" },
            },
    });
  } catch (err) {
    throw new VolumeOperationError("MountVolume.NodeExpandVolume", pv.metadata.name ?? "", describeCause(err));
  }
  // MarkFSResizeFinished: the claim shows the new size; the pending condition and resize status go. A node may
  // update the status of a claim its pods use (the Node authorizer: persistentvolumeclaims/status via the graph).
  const { storage: _done, ...otherStatuses } = claim.status?.allocatedResourceStatuses ?? {};
  return client.persistentVolumeClaims.updateStatus({
    ...claim,
    status: {
      ...claim.status,
      capacity: { ...(claim.status?.capacity ?? {}), storage: pv.spec.capacity?.storage ?? size.toString() },
      conditions: (claim.status?.conditions ?? []).filter((c) => c.type !== resizePending),
      allocatedResourceStatuses: Object.keys(otherStatuses).length ? otherStatuses : undefined,
    },
  });
}

/** The csi plugin's NodeExpandVolume: the claim the volume came from says what it waits for. */
export const csiExpander: NodeExpander<CsiVolume> = {
  pending(listers, volume) {
    const claim = listers.claims.get(volume.claimKey);
    const pv = listers.volumes.get(volume.pvName);
    const size = pendingNodeExpansion(claim, pv);
    return size && claim && pv ? { claim, volume: pv, size } : undefined;
  },
  expand: (ctx, client, mounted, { claim, volume, size }) => expandVolume(ctx, client, mounted, claim, volume, size),
};
