// The desired state of the world for one volume (upstream desired_state_of_world, computed per volume instead of
// kept incrementally): which nodes need the volume attached, and for which pods. Read from the informers only.
import type { ContainerStatus, Node, PersistentVolume, PersistentVolumeClaim, Pod } from "../../api/core/types.js";
import type { CSIDriver } from "../../api/storage/types.js";
import type { Lister } from "../../client/index.js";
import { podClaimIndex } from "../common/podindex.js";

export interface DesiredContext {
  pods: Lister<Pod>;
  claims: Lister<PersistentVolumeClaim>;
  nodes: Lister<Node>;
  csiDrivers: Lister<CSIDriver>;
}

const notRunning = (statuses: ContainerStatus[] | undefined): boolean =>
  (statuses ?? []).every((status) => status.state?.terminated !== undefined || status.state?.waiting !== undefined);

/**
 * pkg/volume/util IsPodTerminated: Failed or Succeeded, or being deleted with no container running. Such a pod
 * no longer needs its volumes attached (DetermineVolumeAction), so a deleted pod lets its volume go at once.
 */
export function podIsTerminated(pod: Pod): boolean {
  const status = pod.status;
  if (status?.phase === "Failed" || status?.phase === "Succeeded") return true;
  return (
    pod.metadata.deletionTimestamp !== undefined &&
    notRunning(status?.initContainerStatuses) &&
    notRunning(status?.containerStatuses)
  );
}

/**
 * The CSI plugin's CanAttach: a CSI volume needs attaching unless its CSIDriver says attachRequired: false.
 * No CSIDriver object means attach is required (csi_plugin.go skipAttach), as upstream.
 */
export function attachRequired(ctx: DesiredContext, volume: PersistentVolume): boolean {
  const source = volume.spec.csi;
  if (!source) return false;
  const driver = ctx.csiDrivers.get(source.driver);
  return driver?.spec.attachRequired !== false;
}

/** The claim bound to this volume both ways (upstream refuses a PV whose claimRef does not match the claim). */
export function boundClaim(ctx: DesiredContext, volume: PersistentVolume): PersistentVolumeClaim | undefined {
  const ref = volume.spec.claimRef;
  if (!ref?.name) return undefined;
  const claim = ctx.claims.get(`${ref.namespace ?? ""}/${ref.name}`);
  if (!claim || claim.spec.volumeName !== volume.metadata.name || claim.status?.phase !== "Bound") return undefined;
  if (ref.uid && claim.metadata.uid !== ref.uid) return undefined;
  return claim;
}

/**
 * Node name → the pods there that need the volume attached, oldest pod first within a node and nodes ordered by
 * their oldest pod, so that of two nodes wanting a single-attach volume the one that asked first gets it.
 * Empty when the volume needs no attaching. Pods on nodes that do not exist are skipped (as upstream's DSW only
 * tracks existing nodes): nothing could attach there.
 */
export function desiredNodes(ctx: DesiredContext, volume: PersistentVolume): Map<string, Pod[]> {
  const wanted = new Map<string, Pod[]>();
  if (!attachRequired(ctx, volume)) return wanted;
  const claim = boundClaim(ctx, volume);
  if (!claim) return wanted;
  const pods = ctx.pods
    .byIndex(podClaimIndex, `${claim.metadata.namespace ?? ""}/${claim.metadata.name ?? ""}`)
    .filter((pod) => pod.spec.nodeName && !podIsTerminated(pod) && ctx.nodes.get(pod.spec.nodeName))
    .sort(byAge);
  for (const pod of pods) {
    const node = pod.spec.nodeName as string;
    const list = wanted.get(node);
    if (list) list.push(pod);
    else wanted.set(node, [pod]);
  }
  return wanted;
}

function byAge(a: Pod, b: Pod): number {
  const ta = a.metadata.creationTimestamp ?? "";
  const tb = b.metadata.creationTimestamp ?? "";
  if (ta !== tb) return ta < tb ? -1 : 1;
  const na = `${a.metadata.namespace ?? ""}/${a.metadata.name ?? ""}`;
  const nb = `${b.metadata.namespace ?? ""}/${b.metadata.name ?? ""}`;
  return na < nb ? -1 : na > nb ? 1 : 0;
}
