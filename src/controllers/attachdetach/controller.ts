// The attach-detach controller's wiring (upstream attach_detach_controller.go): informers on pods, claims,
// volumes, nodes, CSIDrivers and VolumeAttachments feed two queues — volumes (by PV name: every attach/detach
// decision for a volume is made by one sync at a time, so two nodes can never both be given a single-attach
// volume) and nodes (status.volumesAttached). Level-triggered: at start everything is listed and synced, which is
// how a restarted controller finishes what a stopped one began.
import type { Pod } from "../../api/core/types.js";
import type { VolumeAttachment } from "../../api/storage/types.js";
import {
  WorkQueue,
  createEventRecorder,
  createInformerFactory,
  type Client,
  type EventRecorder,
  type InformerFactory,
} from "../../client/index.js";
import { claimNamesOf, ensurePodClaimIndex } from "../common/podindex.js";
import { every, runWorkers } from "../common/run.js";
import type { Log } from "../../support/log.js";
import {
  attachmentsByNode,
  attachmentsByVolume,
  forgetPod,
  primeReported,
  syncNodeStatus,
  syncVolume,
  type ReconcilerContext,
} from "./reconciler.js";

export interface AttachDetachOptions {
  client: Client;
  /** Shared informers (the controller-manager's); a private factory is made and started when omitted. */
  informers?: InformerFactory;
  /** Events on pods; upstream's component is "attachdetach-controller". */
  recorder?: EventRecorder;
  signal: AbortSignal;
  workers?: number;
  /** How often every volume and node is revisited (default 60 s, upstream's reconciler sync is 60 s too). */
  resyncPeriodMs?: number;
  log?: Log;
}

export interface RunningAttachDetach {
  /** Resolves when the loops stopped (the signal aborted) and their events are written. */
  done: Promise<void>;
}

const defaultLog: Log = (message, fields) => console.warn(`[attachdetach-controller] ${message}`, fields);

function addIndexerOnce<T extends { metadata: object }>(
  informer: { addIndexer(name: string, fn: (object: T) => string[]): void },
  name: string,
  fn: (object: T) => string[],
) {
  try {
    informer.addIndexer(name, fn);
  } catch {
    // already there: the same function from an earlier start on this shared factory
  }
}

/** Starts the controller; resolves once its informers have synced and its workers run. */
export async function startAttachDetachController(options: AttachDetachOptions): Promise<RunningAttachDetach> {
  const { client, signal } = options;
  const log = options.log ?? defaultLog;
  const informers = options.informers ?? createInformerFactory(client, { log });
  const recorder =
    options.recorder ?? createEventRecorder(client.events, { component: "attachdetach-controller", log });
  const { pods, persistentVolumeClaims: claims, persistentVolumes: volumes, nodes, csiDrivers } = informers;
  const attachments = informers.volumeAttachments;
  ensurePodClaimIndex(pods);
  addIndexerOnce<VolumeAttachment>(attachments, attachmentsByVolume, (a) =>
    a.spec.source.persistentVolumeName ? [a.spec.source.persistentVolumeName] : [],
  );
  addIndexerOnce<VolumeAttachment>(attachments, attachmentsByNode, (a) => [a.spec.nodeName]);

  const volumeQueue = new WorkQueue<string>({ name: "attachdetach-volumes", log });
  const ctx: ReconcilerContext = {
    client,
    pods,
    claims,
    volumes,
    nodes,
    csiDrivers,
    attachments,
    recorder,
    reported: new Set(),
    detachRequested: new Map(),
    now: () => Date.now(),
    requeueAfter: (name, delayMs) => volumeQueue.addAfter(name, delayMs),
  };
  const nodeQueue = new WorkQueue<string>({ name: "attachdetach-nodes", log });

  const enqueuePodVolumes = (pod: Pod) => {
    for (const claimName of claimNamesOf(pod)) {
      const claim = claims.get(`${pod.metadata.namespace ?? ""}/${claimName}`);
      if (claim?.spec.volumeName) volumeQueue.add(claim.spec.volumeName);
    }
  };
  const enqueueAll = () => {
    for (const key of volumes.keys()) volumeQueue.add(key);
    for (const attachment of attachments.list()) {
      if (attachment.spec.source.persistentVolumeName) volumeQueue.add(attachment.spec.source.persistentVolumeName);
    }
    for (const key of nodes.keys()) nodeQueue.add(key);
  };
  const enqueueAttachment = (attachment: VolumeAttachment) => {
    if (attachment.spec.source.persistentVolumeName) volumeQueue.add(attachment.spec.source.persistentVolumeName);
    nodeQueue.add(attachment.spec.nodeName);
  };

  const offs = [
    pods.addHandlers({
      add: enqueuePodVolumes,
      update(old, pod) {
        enqueuePodVolumes(pod);
        if (old.metadata.uid !== pod.metadata.uid) enqueuePodVolumes(old);
      },
      delete(pod) {
        enqueuePodVolumes(pod);
        forgetPod(ctx, pod.metadata.uid);
      },
    }),
    // A claim binding (or a pod's claim appearing) is what turns a scheduled pod into an attach.
    claims.onChange((claim) => {
      if (claim.spec.volumeName) volumeQueue.add(claim.spec.volumeName);
    }),
    volumes.onChange((volume) => {
      if (volume.metadata.name) volumeQueue.add(volume.metadata.name);
    }),
    attachments.onChange(enqueueAttachment),
    // A freed single-attach volume may be wanted on another node; VolumeAttachment deletion wakes its volume.
    attachments.onDelete(enqueueAttachment),
    nodes.onChange((node) => {
      const name = node.metadata.name ?? "";
      nodeQueue.add(name);
      // volumesInUse changed: attachments on this node waiting for the node to let go may now detach.
      for (const attachment of attachments.byIndex(attachmentsByNode, name)) enqueueAttachment(attachment);
    }),
    // A node appearing makes its already-scheduled pods attachable.
    nodes.onAdd(() => enqueueAll()),
    csiDrivers.onChange((driver) => {
      for (const volume of volumes.list()) {
        if (volume.spec.csi?.driver === driver.metadata.name) volumeQueue.add(volume.metadata.name ?? "");
      }
    }),
  ];
  signal.addEventListener("abort", () => offs.forEach((off) => off()), { once: true });

  informers.start(signal);
  if (!(await informers.waitForSync(signal))) return { done: Promise.resolve() };
  primeReported(ctx);
  enqueueAll();
  every(options.resyncPeriodMs ?? 60_000, signal, enqueueAll);
  const workers = options.workers ?? 4;
  const done = Promise.all([
    runWorkers(volumeQueue, signal, workers, (name) => syncVolume(ctx, name), log),
    runWorkers(nodeQueue, signal, workers, (name) => syncNodeStatus(ctx, name), log),
  ]).then(async () => {
    if (!options.recorder) await recorder.flush();
  });
  return { done };
}
