// node.status.volumesInUse (kubelet_node_status.go setVolumesInUse, volume_manager.go GetVolumesInUse): what the
// attach/detach controller must not detach from this node. An attach-required volume is staged only once the Node
// lists it (upstream's ReportedInUse gate, plugins/csi.ts), so a volume that joins the list is written at once
// instead of at the next once-a-second tick; leaving the list may wait for the tick (upstream removes a volume only
// after it is unmounted, so nothing waits on that).
import { uniqueVolumeName } from "../api/storage/attachmentnames.js";
import { deviceOf } from "./plugins/csivolume.js";
import type { NodeStatusManager } from "./nodestatus.js";
import type { ActualState } from "./volumemanager/actual.js";
import type { DesiredPod } from "./volumemanager/desired.js";

/**
 * Every CSI volume a pod here needs or that is still published or staged here; not inline (ephemeral) ones, which
 * are never attached (upstream reports only attachable volumes).
 */
export function volumesInUse(desired: DesiredPod[], actual: ActualState): string[] {
  const names = new Set<string>();
  for (const { volumes } of desired) for (const v of volumes) if (v.kind === "csi") names.add(deviceOf(v));
  for (const v of actual.volumes.values()) {
    if (v.csi && v.csi.volumeLifecycleMode !== "Ephemeral")
      names.add(uniqueVolumeName(v.csi.driverName, v.csi.volumeHandle));
  }
  for (const d of actual.devices.keys()) names.add(d);
  return [...names];
}

/**
 * Returns a function to call when a volume is waited on but not reported yet: volumesInUse is recomputed and, when
 * it lists a volume the Node does not, written now. Calls coalesce to one recomputation per turn of the event loop
 * (the reconciler asks on every pass while it waits), and NodeStatusManager.writeStatus never runs two writes at
 * once, so a burst of pods costs one write in flight and at most one after it.
 */
export function promptVolumesInUse(
  nodeStatus: NodeStatusManager,
  current: () => string[],
  signal: AbortSignal,
  log: (message: string, err?: unknown) => void,
): () => void {
  let scheduled = false;
  return () => {
    if (scheduled || signal.aborted) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      if (signal.aborted || !nodeStatus.setVolumesInUse(current())) return;
      nodeStatus.writeStatus().catch((err: unknown) => log("updating node status failed", err));
    });
  };
}
