// kube-scheduler's VolumeRestrictions for ReadWriteOncePod (pkg/scheduler/framework/plugins/volumerestrictions):
// a claim with the ReadWriteOncePod access mode may be used by one pod in the cluster. While another pod (bound
// to a node or assumed onto one) uses it, every node rejects the new pod as Unschedulable (preemption could evict
// the user, so upstream marks it resolvable).
import type { Pod } from "../api/core/types.js";
import type { FilterStatus } from "./filters.js";
import type { VolumeView } from "./volumebinding.js";
import { podClaimNames } from "./volumebinding.js";

export const ErrReasonReadWriteOncePodConflict =
  "node has pod using PersistentVolumeClaim with the same name and ReadWriteOncePod access mode";

/**
 * PreFilter + Filter in one: `usersOf(claimKey)` lists the pods using a claim (bound or assumed). Returns the
 * status every node gets, or undefined when no ReadWriteOncePod claim of the pod is in use elsewhere.
 */
export function filterReadWriteOncePod(
  view: VolumeView,
  pod: Pod,
  usersOf: (claimKey: string) => readonly Pod[],
): FilterStatus | undefined {
  const namespace = pod.metadata.namespace ?? "";
  for (const name of podClaimNames(pod)) {
    const claim = view.claim(namespace, name);
    if (!claim?.spec.accessModes?.includes("ReadWriteOncePod")) continue;
    const others = usersOf(`${namespace}/${name}`).filter(
      (user) =>
        user.metadata.uid !== pod.metadata.uid &&
        user.metadata.name !== pod.metadata.name &&
        user.status?.phase !== "Succeeded" &&
        user.status?.phase !== "Failed",
    );
    if (others.length > 0) return { reasons: [ErrReasonReadWriteOncePodConflict], resolvable: true };
  }
  return undefined;
}
