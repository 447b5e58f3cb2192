// The pod handlers of a controller that creates pods for its objects (upstream's addPod/updatePod/deletePod in the
// job and daemon set controllers): each event of a pod the object controls is counted by the expectations, and the
// object is queued.
import type { Pod } from "../../api/core/types.js";
import type { Informer } from "../../client/index.js";
import { controllerOf } from "./controllerref.js";
import type { Expectations } from "./expectations.js";

/** The handlers, as unsubscribe functions; `kind` is the controller reference's kind (Job, DaemonSet). */
export function watchOwnedPods(
  pods: Informer<Pod>,
  kind: string,
  expectations: Expectations,
  enqueue: (key: string) => void,
): Array<() => void> {
  const ownerKey = (pod: Pod) => {
    const ref = controllerOf(pod);
    return ref?.kind === kind ? `${pod.metadata.namespace ?? ""}/${ref.name}` : undefined;
  };
  return [
    pods.onAdd((pod) => {
      const key = ownerKey(pod);
      if (!key) return;
      expectations.creationObserved(key);
      enqueue(key);
    }),
    pods.onUpdate((_old, pod) => {
      const key = ownerKey(pod);
      if (!key) return;
      if (pod.metadata.deletionTimestamp) expectations.deletionObserved(key, pod.metadata.uid ?? "");
      enqueue(key);
    }),
    pods.onDelete((pod) => {
      const key = ownerKey(pod);
      if (!key) return;
      expectations.deletionObserved(key, pod.metadata.uid ?? "");
      enqueue(key);
    }),
  ];
}
