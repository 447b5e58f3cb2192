// MarkPodsNotReady (pkg/controller/util/node/controller_utils.go): when a node stops being Ready, the pods bound to
// it can no longer be vouched for, so their Ready condition goes False (Services stop sending them traffic; for
// storage users, `kubectl get pods` shows 0/1). The node agent sets it back when it reports the pod again.
import type { Pod } from "../../api/core/types.js";
import { isNotFound, type Client, type EventRecorder } from "../../client/index.js";

export const EventNodeNotReady = "NodeNotReady";
export const MessagePodNodeNotReady = "Node is not ready";

/** The pod with its Ready condition False, or undefined when it has none or it is False already. */
export function podMarkedNotReady(pod: Pod, now: string): Pod | undefined {
  const conditions = pod.status?.conditions ?? [];
  const at = conditions.findIndex((c) => c.type === "Ready");
  if (at < 0 || conditions[at].status === "False") return undefined;
  const next = [...conditions];
  // UpdatePodCondition: the status changes, so the transition time is now; reason and message stay as they were.
  next[at] = { ...conditions[at], status: "False", lastTransitionTime: now };
  return { ...pod, status: { ...pod.status, conditions: next } };
}

/** Marks each pod on the node not ready; a pod deleted meanwhile is skipped. Throws the first other error. */
export async function markPodsNotReady(
  client: Client,
  recorder: EventRecorder,
  pods: Pod[],
  nodeName: string,
  now: string,
): Promise<void> {
  const errors: unknown[] = [];
  for (const pod of pods) {
    if (pod.spec.nodeName !== nodeName) continue;
    const marked = podMarkedNotReady(pod, now);
    if (!marked) continue;
    try {
      await client.pods.updateStatus(marked);
    } catch (err) {
      if (isNotFound(err)) continue;
      errors.push(err);
      continue;
    }
    // After the write, so the event is only about a pod that still exists.
    recorder.event(pod, "Warning", EventNodeNotReady, MessagePodNodeNotReady);
  }
  if (errors.length) throw errors[0];
}
