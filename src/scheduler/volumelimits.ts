// kube-scheduler's NodeVolumeLimits (CSI) filter (pkg/scheduler/framework/plugins/nodevolumelimits/csi.go): the
// CSI volumes of the pods on a node plus the new pod's, counted per driver and de-duplicated by volume, must not
// exceed the count the node's CSINode allows that driver (spec.drivers[].allocatable.count).
import type { Pod } from "../api/core/types.js";
import type { CSINode } from "../api/storage/types.js";
import type { FilterStatus } from "./filters.js";
import type { VolumeView } from "./volumebinding.js";
import { claimClass } from "../api/storagerules/class.js";
import { podClaimNames } from "./volumebinding.js";

export const ErrReasonMaxVolumeCountExceeded = "node(s) exceed max volume count";

/** driver → unique volume ids the pod uses: the PV's volume handle, or the claim itself while it is unbound. */
export function csiVolumesOf(view: VolumeView, pod: Pod): Map<string, Set<string>> {
  const result = new Map<string, Set<string>>();
  const add = (driver: string, id: string): void => {
    let ids = result.get(driver);
    if (!ids) result.set(driver, (ids = new Set()));
    ids.add(id);
  };
  const namespace = pod.metadata.namespace ?? "";
  for (const volume of pod.spec.volumes ?? []) {
    if (volume.csi?.driver) add(volume.csi.driver, `${namespace}/${pod.metadata.name}/${volume.name}`);
  }
  for (const name of podClaimNames(pod)) {
    const claim = view.claim(namespace, name);
    if (!claim) continue;
    const volume = claim.spec.volumeName ? view.volume(claim.spec.volumeName) : undefined;
    if (volume?.spec.csi) {
      add(volume.spec.csi.driver, `${volume.spec.csi.driver}^${volume.spec.csi.volumeHandle}`);
    } else if (!volume) {
      // Not provisioned yet: it will be a volume of the class's provisioner (upstream counts it by claim).
      const provisioner = view.storageClass(claimClass(claim))?.provisioner;
      if (provisioner) add(provisioner, `${namespace}/${name}`);
    }
  }
  return result;
}

/** A node's pods for the filter: how many volumes they declare (known without listing them), and the pods. */
export interface NodePods {
  volumeCountOn(nodeName: string): number;
  podsOn(nodeName: string): readonly Pod[];
}

/** NodePods of a list of pods, whatever the node. */
export const nodePodsOf = (pods: readonly Pod[]): NodePods => ({
  volumeCountOn: () => pods.reduce((sum, pod) => sum + (pod.spec.volumes?.length ?? 0), 0),
  podsOn: () => pods,
});

/** Each CSINode's per-driver counts, made once (informer objects are replaced, never changed). */
const limitsOf = new WeakMap<CSINode, ReadonlyMap<string, number>>();
function driverLimits(csiNode: CSINode): ReadonlyMap<string, number> {
  let limits = limitsOf.get(csiNode);
  if (!limits) {
    const made = new Map<string, number>();
    for (const driver of csiNode.spec.drivers ?? []) {
      if (driver.allocatable?.count !== undefined && driver.allocatable.count !== null) {
        made.set(driver.name, driver.allocatable.count);
      }
    }
    limitsOf.set(csiNode, (limits = made));
  }
  return limits;
}

export function filterVolumeLimits(
  view: VolumeView,
  pod: Pod,
  csiNode: CSINode | undefined,
  /** The pods of the CSINode's node (a CSINode is named after its node). */
  onNode: NodePods,
  /** csiVolumesOf(view, pod): the same on every node, so a cycle works it out once. */
  wanted = csiVolumesOf(view, pod),
): FilterStatus | undefined {
  if (!csiNode) return undefined; // no CSINode yet: nothing to limit by, as upstream
  if (wanted.size === 0) return undefined;
  const limits = driverLimits(csiNode);
  if (limits.size === 0) return undefined;
  // Each volume of a pod is at most one CSI volume: when even that many fit every limit, no counting is needed
  // (a node with a pod or two and a limit of 39 is the common case, and resolving their claims is most of the cost).
  const nodeName = csiNode.metadata.name ?? "";
  const most = onNode.volumeCountOn(nodeName);
  let fitsAnyway = true;
  for (const [driver, ids] of wanted) {
    const limit = limits.get(driver);
    if (limit !== undefined && most + ids.size > limit) fitsAnyway = false;
  }
  if (fitsAnyway) return undefined;
  const attached = new Map<string, Set<string>>();
  for (const other of onNode.podsOn(nodeName)) {
    for (const [driver, ids] of csiVolumesOf(view, other)) {
      let set = attached.get(driver);
      if (!set) attached.set(driver, (set = new Set()));
      for (const id of ids) set.add(id);
    }
  }
  for (const [driver, ids] of wanted) {
    const limit = limits.get(driver);
    if (limit === undefined) continue;
    const have = attached.get(driver) ?? new Set<string>();
    const added = [...ids].filter((id) => !have.has(id)).length;
    if (added > 0 && have.size + added > limit) {
      return { reasons: [ErrReasonMaxVolumeCountExceeded], resolvable: true };
    }
  }
  return undefined;
}
