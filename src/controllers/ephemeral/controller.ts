// The ephemeral volume controller's wiring (upstream pkg/controller/volume/ephemeral): pods with generic ephemeral
// volumes are queued when they appear or change, and again when one of their claims is deleted, so a claim removed
// under a live pod is made again. The decision is in sync.ts.
import type { PersistentVolumeClaim, Pod } from "../../api/core/types.js";
import type { StartLoop } from "../../client/index.js";
import { WorkQueue, createEventRecorder, every, keyOf, removeWhenAborted, stopped } from "../../client/index.js";
import type { LoopContext } from "../common/context.js";
import { ensurePodClaimIndex, podClaimIndex } from "../common/podindex.js";
import { syncPod } from "./sync.js";

export interface EphemeralContext extends LoopContext {
  workers?: number;
  resyncPeriodMs?: number;
}

const hasEphemeralVolume = (pod: Pod) => (pod.spec.volumes ?? []).some((volume) => volume.ephemeral);

export const startEphemeralVolumeController: StartLoop<EphemeralContext> = async (ctx, signal) => {
  const { client, informers, log } = ctx;
  const { pods, persistentVolumeClaims: claims } = informers;
  // Upstream's event source component for this controller.
  const recorder = createEventRecorder(client.events, { component: "ephemeral_volume", log });
  const queue = new WorkQueue<string>({ name: "ephemeral-volume", log });
  ensurePodClaimIndex(pods);
  const enqueue = (pod: Pod) => {
    if (hasEphemeralVolume(pod) && !pod.metadata.deletionTimestamp) queue.add(keyOf(pod));
  };
  removeWhenAborted(signal, [
    pods.onChange(enqueue),
    claims.onDelete((claim: PersistentVolumeClaim) => {
      for (const pod of pods.byIndex(podClaimIndex, keyOf(claim))) enqueue(pod);
    }),
  ]);
  every(ctx.resyncPeriodMs ?? 0, signal, () => pods.list().forEach(enqueue));

  informers.start(signal);
  if (!(await informers.waitForSync(signal))) return stopped;
  for (const pod of pods.list()) enqueue(pod);
  const sync = { client, pods, claims, recorder };
  const done = queue.work(signal, (key) => syncPod(sync, key), ctx.workers ?? 2).then(() => recorder.flush());
  return { done };
};
