// The expand controller (upstream pkg/controller/volume/expand, "persistentvolume-expander" in
// kube-controller-manager). Upstream it is deprecated down to one job: a bound claim whose storage request grew past
// its status capacity is looked at once, and since no in-tree plugin of ours can expand a volume (every expandable
// volume here is CSI, grown by an external csi-resizer), it says so with the Normal event
//   ExternalExpanding  "waiting for an external controller to expand this PVC"
// from component "volume_expand", and does nothing else (upstream does not requeue: the resizer owns the rest).
//
// "Once per resize" comes from when a claim is queued, exactly as upstream's handlers: on add (so a restarted
// controller mentions resizes still pending), and on update only when the request grew or the status capacity grew.
// The resizer's and the node's status writes (conditions, allocatedResources) change neither, and neither does a
// periodic resync (old === new), so they never repeat the event.
import type { PersistentVolumeClaim } from "../../api/core/types.js";
import {
  WorkQueue,
  createEventRecorder,
  keyOf,
  removeWhenAborted,
  stopped,
  type StartLoop,
} from "../../client/index.js";
import type { LoopContext } from "../common/context.js";
import { claimCapacity, claimRequest } from "../../api/storagerules/capacity.js";
import { syncClaim } from "./sync.js";

export { VolumeNotBoundError, externalExpandingMessage, syncClaim } from "./sync.js";

/** Upstream's event source for this controller. */
export const expandControllerComponent = "volume_expand";

export interface ExpandContext extends LoopContext {
  /** Upstream's defaultWorkerCount. */
  workers?: number;
}

export const startExpandController: StartLoop<ExpandContext> = async (ctx, signal) => {
  const { client, informers, log } = ctx;
  const claims = informers.persistentVolumeClaims;
  const recorder = createEventRecorder(client.events, { component: expandControllerComponent, log });
  const queue = new WorkQueue<string>({ name: "volume_expand", log });
  // enqueuePVC: only bound claims can be resized.
  const enqueue = (claim: PersistentVolumeClaim) => {
    if (claim.status?.phase === "Bound") queue.add(keyOf(claim));
  };
  removeWhenAborted(signal, [
    claims.addHandlers({
      add: enqueue,
      update(old, claim) {
        // A grown request needs expanding; a grown capacity means an expansion just finished (upstream drops the
        // PV's pre-resize annotation then; the sync finds request <= capacity and returns).
        if (claimRequest(claim).cmp(claimRequest(old)) > 0 || claimCapacity(claim).cmp(claimCapacity(old)) > 0)
          enqueue(claim);
      },
      delete: enqueue,
    }),
  ]);
  informers.start(signal);
  if (!(await informers.waitForSync(signal))) return stopped;
  const sync = { client, claims, recorder };
  const workers = queue.work(signal, (key) => syncClaim(sync, key), ctx.workers ?? 10);
  return { done: workers.then(() => recorder.flush()) };
};
