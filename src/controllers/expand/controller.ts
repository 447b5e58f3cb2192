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
import type { PersistentVolume, PersistentVolumeClaim } from "../../api/core/types.js";
import { claimCapacity, claimRequest } from "../../api/storagerules/capacity.js";
import { EventExternalExpanding } from "../../api/wellknown.js";
import {
  WorkQueue,
  createEventRecorder,
  isNotFound,
  keyOf,
  type Client,
  type EventRecorder,
  type Informer,
} from "../../client/index.js";
import type { Log } from "../../support/log.js";
import { runWorkers } from "../common/run.js";

/** Upstream's event source for this controller. */
export const expandControllerComponent = "volume_expand";
export const externalExpandingMessage = "waiting for an external controller to expand this PVC";

export interface ExpandControllerOptions {
  client: Client;
  claims: Informer<PersistentVolumeClaim>;
  /** Upstream's defaultWorkerCount. */
  workers?: number;
  log: Log;
}

/** Thrown when the claim's volume does not point back at it; the key is retried with backoff, as upstream. */
export class VolumeNotBoundError extends Error {
  override name = "VolumeNotBoundError";
}

export function startExpandController(options: ExpandControllerOptions, signal: AbortSignal): Promise<void> {
  const { client, claims, log } = options;
  const recorder = createEventRecorder(client.events, { component: expandControllerComponent, log });
  const queue = new WorkQueue<string>({ name: "volume_expand", log });
  // enqueuePVC: only bound claims can be resized.
  const enqueue = (claim: PersistentVolumeClaim) => {
    if (claim.status?.phase === "Bound") queue.add(keyOf(claim));
  };
  const off = claims.addHandlers({
    add: enqueue,
    update(old, claim) {
      // A grown request needs expanding; a grown capacity means an expansion just finished (upstream drops the PV's
      // pre-resize annotation then; the sync below finds request <= capacity and returns).
      if (claimRequest(claim).cmp(claimRequest(old)) > 0 || claimCapacity(claim).cmp(claimCapacity(old)) > 0)
        enqueue(claim);
    },
    delete: enqueue,
  });
  signal.addEventListener("abort", off, { once: true });
  const workers = runWorkers(
    queue,
    signal,
    options.workers ?? 10,
    (key) => syncClaim(client, claims, recorder, key),
    log,
  );
  return workers.then(() => recorder.flush());
}

/** upstream syncHandler: one look at one claim. */
export async function syncClaim(
  client: Client,
  claims: Informer<PersistentVolumeClaim>,
  recorder: EventRecorder,
  key: string,
): Promise<void> {
  const claim = claims.get(key);
  if (!claim) return;
  // Upstream reads the PV before comparing sizes; comparing first saves a GET per bound claim on every start (the
  // add handler queues them all) and changes nothing a user sees: without a grown request nothing is said either way.
  if (claimRequest(claim).cmp(claimCapacity(claim)) <= 0) return;
  // Upstream reads the PV from the apiserver, not a cache: a PV just bound must not look unbound.
  let volume: PersistentVolume;
  try {
    volume = await client.persistentVolumes.get(claim.spec.volumeName ?? "");
  } catch (err) {
    if (isNotFound(err) || !claim.spec.volumeName) {
      throw new VolumeNotBoundError(`failed to get PV "${claim.spec.volumeName ?? ""}": ${(err as Error).message}`);
    }
    throw err;
  }
  const ref = volume.spec.claimRef;
  if (!ref || ref.namespace !== claim.metadata.namespace || ref.uid !== claim.metadata.uid) {
    throw new VolumeNotBoundError(`persistent Volume is not bound to PVC being updated : ${key}`);
  }
  // No in-tree plugin here can expand a volume (upstream's remaining ones are Portworx and FC), so every volume —
  // CSI or in-tree (hostPath, local, nfs, …) — is left to an external controller. For CSI that is the csi-resizer of
  // the PV's driver; an in-tree volume simply stays at its size, as upstream. The event is Normal: since
  // kubernetes#124317 a volume that matches no expandable plugin is not an error (older releases said Warning).
  recorder.event(claim, "Normal", EventExternalExpanding, externalExpandingMessage);
}
