// The PersistentVolume controller's wiring (the decisions are in binder.ts): informers feed the binder's own
// caches and two queues, claims and volumes, as upstream's claimQueue/volumeQueue. Handlers only record the
// object and enqueue keys; workers run syncClaim/syncVolume; a periodic resync (upstream: 15 s) revisits
// everything so nothing depends on an event arriving.
import type { PersistentVolume, PersistentVolumeClaim } from "../../api/core/types.js";
import type { Client, EventRecorder, StartLoop } from "../../client/index.js";
import { WorkQueue, every, isNotFound, keyOf, removeWhenAborted, stopped } from "../../client/index.js";
import type { LoopContext } from "../common/context.js";
import { podClaimIndex, ensurePodClaimIndex } from "../common/podindex.js";
import { syncClaim, syncVolume } from "./binder.js";
import type { BinderApi, BinderContext } from "./context.js";
import { ObjectCache } from "./cache.js";
import { VolumeIndex } from "./match.js";
import { claimKey, claimRefKey, hasAnnotation } from "./volumeutil.js";
import { AnnBindCompleted } from "../../api/wellknown.js";
import { collectFrom } from "./metrics.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Until nothing waits in the queue (its keys are handed out), at most `ms`. */
async function untilEmpty(queue: WorkQueue<string>, ms: number, signal: AbortSignal): Promise<void> {
  const deadline = Date.now() + ms;
  while (queue.len() > 0 && Date.now() < deadline && !signal.aborted) await sleep(20);
}

export interface BinderOptions extends LoopContext {
  recorder: EventRecorder;
  /** Concurrent syncs per queue (upstream runs one of each; ours may overlap: the index holds in-flight bindings). */
  workers?: number;
  resyncPeriodMs?: number;
  hostPathReclaimRoots?: string[];
  /** Directories no reclaim may remove or empty, nor any containing them (stowage's data dir). */
  protectedPaths?: string[];
  bindDelayedWithSelectedNode?: boolean;
}

async function orUndefined<T>(promise: Promise<T>): Promise<T | undefined> {
  try {
    return await promise;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

export function binderApi(client: Client): BinderApi {
  return {
    updateVolume: (volume) => client.persistentVolumes.update(volume),
    updateVolumeStatus: (volume) => client.persistentVolumes.updateStatus(volume),
    async deleteVolume(volume) {
      // The UID precondition keeps us from deleting a volume re-created under the same name meanwhile.
      await orUndefined(
        client.persistentVolumes.delete(volume.metadata.name ?? "", { preconditions: { uid: volume.metadata.uid } }),
      );
    },
    getVolume: (name) => orUndefined(client.persistentVolumes.get(name)),
    updateClaim: (claim) => client.persistentVolumeClaims.update(claim),
    updateClaimStatus: (claim) => client.persistentVolumeClaims.updateStatus(claim),
    getClaim: (namespace, name) => orUndefined(client.persistentVolumeClaims.get(namespace, name)),
  };
}

/** Starts the binder; resolves when its informers have synced and workers run. Stops when the signal aborts. */
export const startPVBinder: StartLoop<BinderOptions> = async (options, signal) => {
  const { informers, log } = options;
  const claimQueue = new WorkQueue<string>({ name: "claims", log });
  const volumeQueue = new WorkQueue<string>({ name: "volumes", log });
  const volumes = new VolumeIndex();
  const claims = new ObjectCache<PersistentVolumeClaim>(claimKey);
  // Made now, so informers.start() below lists and watches them too.
  const pods = informers.pods;
  const classes = informers.storageClasses;
  const nodes = informers.nodes;
  ensurePodClaimIndex(pods);

  const ctx: BinderContext = {
    api: binderApi(options.client),
    volumes,
    claims,
    classes: {
      get: (name) => classes.get(name),
      list: () => classes.list(),
    },
    nodes: { get: (name) => nodes.get(name) },
    podsUsingClaim: (namespace, name) => pods.byIndex(podClaimIndex, `${namespace}/${name}`),
    recorder: options.recorder,
    enqueueClaim: (key) => claimQueue.add(key),
    hostPathReclaimRoots: options.hostPathReclaimRoots ?? ["/tmp"],
    protectedPaths: options.protectedPaths,
    bindDelayedWithSelectedNode: options.bindDelayedWithSelectedNode,
  };

  // Unbound claims wait for a volume to appear. Upstream finds it on its 15 s resync; we wake them when a volume
  // becomes Available (at most every 100 ms, so a thousand new volumes cost one pass over the claims).
  // Not before the informers synced: every claim is queued by its own add then, and a pass per 100 ms over the
  // claims while 100,000 volumes are listed would cost (listing time × claims).
  let synced = false;
  let wakeTimer: NodeJS.Timeout | undefined;
  const wakeUnboundClaims = () => {
    if (!synced || wakeTimer || signal.aborted) return;
    wakeTimer = setTimeout(() => {
      wakeTimer = undefined;
      for (const claim of claims.list()) if (!hasAnnotation(claim, AnnBindCompleted)) claimQueue.add(claimKey(claim));
    }, 100);
  };
  signal.addEventListener("abort", () => clearTimeout(wakeTimer), { once: true });
  const onVolume = (volume: PersistentVolume) => {
    if (!volumes.upsert(volume)) return; // older than what the binder itself wrote
    volumeQueue.add(keyOf(volume));
    if (!volume.spec.claimRef && volume.status?.phase === "Available") wakeUnboundClaims();
  };
  removeWhenAborted(signal, [
    informers.persistentVolumes.addHandlers({
      add: onVolume,
      update: (_old, volume) => onVolume(volume),
      delete(volume) {
        volumes.remove(volume.metadata.name ?? "", volume);
        // A bound claim whose volume is gone becomes Lost.
        if (volume.spec.claimRef?.name) claimQueue.add(claimRefKey(volume.spec.claimRef));
      },
    }),
    informers.persistentVolumeClaims.addHandlers({
      add(claim) {
        claims.upsert(claim);
        claimQueue.add(claimKey(claim));
      },
      update(_old, claim) {
        claims.upsert(claim);
        claimQueue.add(claimKey(claim));
      },
      delete(claim) {
        claims.remove(claimKey(claim), claim);
        // Its volume is Released now (and reclaimed); also any volume that pointed at it before binding finished.
        if (claim.spec.volumeName) volumeQueue.add(claim.spec.volumeName);
        for (const volume of volumes.referencing(claim.metadata.namespace ?? "", claim.metadata.name ?? "")) {
          volumeQueue.add(volume.metadata.name ?? "");
        }
      },
    }),
    // A new (default) class can unblock claims: the retroactive default class and class-bound binding.
    classes.onChange(wakeUnboundClaims),
  ]);

  informers.start(signal);
  if (!(await informers.waitForSync(signal))) return stopped;
  synced = true;
  collectFrom({ volumes: () => volumes.list(), claims: () => claims.list() }, signal);

  // Upstream's resync, every key every 15 s, but one pass at a time per queue (WorkQueue.resync says why).
  every(options.resyncPeriodMs ?? 15_000, signal, () => {
    claimQueue.resync(claims.keys());
    volumeQueue.resync(volumes.names());
  });
  const workers = options.workers ?? 16;
  const volumeWorkers = volumeQueue.work(signal, (name) => syncVolume(ctx, name), workers);
  // Volumes first: new volumes are Pending until their first sync makes them Available, so a claim synced
  // before that would find nothing and record a needless FailedBinding. Wait (briefly) for that first pass.
  await untilEmpty(volumeQueue, 10_000, signal);
  const done = Promise.all([claimQueue.work(signal, (key) => syncClaim(ctx, key), workers), volumeWorkers]).then(
    () => undefined,
  );
  return { done };
};
