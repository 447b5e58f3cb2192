// The attach-detach controller's wiring (upstream attach_detach_controller.go): informers on pods, claims,
// volumes, nodes, CSIDrivers and VolumeAttachments feed two queues — volumes (by PV name: every attach/detach
// decision for a volume is made by one sync at a time, so two nodes can never both be given a single-attach
// volume) and nodes (status.volumesAttached). Level-triggered: at start everything is listed and synced, which is
// how a restarted controller finishes what a stopped one began.
import { attachmentChanged, attachmentDeleted } from "./metrics.js";
import type { Pod } from "../../api/core/types.js";
import type { VolumeAttachment } from "../../api/storage/types.js";
import {
  WorkQueue,
  createEventRecorder,
  createInformerFactory,
  every,
  removeWhenAborted,
  stopped,
  type Client,
  type EventRecorder,
  type InformerFactory,
  type StartLoop,
} from "../../client/index.js";
import { addIndexerOnce, claimNamesOf, ensurePodClaimIndex } from "../common/podindex.js";
import type { Log } from "../../support/log.js";
import {
  attachmentsByVolume,
  forgetAttachment,
  forgetPod,
  primeActualState,
  syncVolume,
  type ReconcilerContext,
} from "./reconciler.js";
import { NodeLocks, attachmentsByNode, syncNodeStatus } from "./nodestatus.js";

export interface AttachDetachContext {
  client: Client;
  /** Shared informers (the controller-manager's); a private factory is made and started when omitted. */
  informers?: InformerFactory;
  /** Events on pods; upstream's component is "attachdetach-controller". */
  recorder?: EventRecorder;
  workers?: number;
  /** How often every volume and node is revisited (default 60 s, upstream's reconciler sync is 60 s too). */
  resyncPeriodMs?: number;
  log?: Log;
}

const defaultLog: Log = (message, fields) => console.warn(`[attachdetach-controller] ${message}`, fields);

interface Queues {
  volumes: WorkQueue<string>;
  nodes: WorkQueue<string>;
}

/** Every volume, attachment and node into the queues: at start, on a new node, and on resync. */
function enqueueAll(ctx: ReconcilerContext, queues: Queues): void {
  for (const key of ctx.volumes.keys()) queues.volumes.add(key);
  for (const attachment of ctx.attachments.list()) {
    if (attachment.spec.source.persistentVolumeName) queues.volumes.add(attachment.spec.source.persistentVolumeName);
  }
  for (const key of ctx.nodes.keys()) queues.nodes.add(key);
}

/** The informer handlers: each only finds the volume (or node) keys a change concerns. Returns their removers. */
function addHandlers(informers: InformerFactory, ctx: ReconcilerContext, queues: Queues): Array<() => void> {
  const { pods, persistentVolumeClaims: claims, persistentVolumes: volumes, nodes, csiDrivers } = informers;
  const attachments = informers.volumeAttachments;
  const enqueuePodVolumes = (pod: Pod) => {
    for (const claimName of claimNamesOf(pod)) {
      const claim = claims.get(`${pod.metadata.namespace ?? ""}/${claimName}`);
      if (claim?.spec.volumeName) queues.volumes.add(claim.spec.volumeName);
    }
  };
  const enqueueAttachment = (attachment: VolumeAttachment) => {
    if (attachment.spec.source.persistentVolumeName) queues.volumes.add(attachment.spec.source.persistentVolumeName);
    queues.nodes.add(attachment.spec.nodeName);
  };
  return [
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
      if (claim.spec.volumeName) queues.volumes.add(claim.spec.volumeName);
    }),
    volumes.onChange((volume) => {
      if (volume.metadata.name) queues.volumes.add(volume.metadata.name);
    }),
    attachments.onChange((attachment) => {
      attachmentChanged(attachment);
      enqueueAttachment(attachment);
    }),
    // A freed single-attach volume may be wanted on another node; VolumeAttachment deletion wakes its volume.
    attachments.onDelete((attachment) => {
      forgetAttachment(ctx, attachment);
      attachmentDeleted(attachment);
      enqueueAttachment(attachment);
    }),
    nodes.onChange((node) => {
      const name = node.metadata.name ?? "";
      queues.nodes.add(name);
      // volumesInUse changed: attachments on this node waiting for the node to let go may now detach.
      for (const attachment of attachments.byIndex(attachmentsByNode, name)) enqueueAttachment(attachment);
    }),
    // A node appearing makes its already-scheduled pods attachable.
    nodes.onAdd(() => enqueueAll(ctx, queues)),
    csiDrivers.onChange((driver) => {
      for (const volume of volumes.list()) {
        if (volume.spec.csi?.driver === driver.metadata.name) queues.volumes.add(volume.metadata.name ?? "");
      }
    }),
  ];
}

/** What syncVolume and syncNodeStatus read: the informers (indexed), the recorder, and this run's memory. */
export function reconcilerContext(
  client: Client,
  informers: InformerFactory,
  recorder: EventRecorder,
  requeueAfter: ReconcilerContext["requeueAfter"],
): ReconcilerContext {
  const attachments = informers.volumeAttachments;
  ensurePodClaimIndex(informers.pods);
  addIndexerOnce<VolumeAttachment>(attachments, attachmentsByVolume, (a) =>
    a.spec.source.persistentVolumeName ? [a.spec.source.persistentVolumeName] : [],
  );
  addIndexerOnce<VolumeAttachment>(attachments, attachmentsByNode, (a) => [a.spec.nodeName]);
  return {
    client,
    pods: informers.pods,
    claims: informers.persistentVolumeClaims,
    volumes: informers.persistentVolumes,
    nodes: informers.nodes,
    csiDrivers: informers.csiDrivers,
    attachments,
    recorder,
    reported: new Set(),
    managed: new Set(),
    detachRequested: new Map(),
    detaching: new Set(),
    nodeLocks: new NodeLocks(),
    now: () => Date.now(),
    requeueAfter,
  };
}

/** Starts the controller; resolves once its informers have synced and its workers run. */
export const startAttachDetachController: StartLoop<AttachDetachContext> = async (options, signal) => {
  const { client } = options;
  const log = options.log ?? defaultLog;
  const informers = options.informers ?? createInformerFactory(client, { log });
  const recorder =
    options.recorder ?? createEventRecorder(client.events, { component: "attachdetach-controller", log });
  const queues: Queues = {
    volumes: new WorkQueue<string>({ name: "attachdetach-volumes", log }),
    nodes: new WorkQueue<string>({ name: "attachdetach-nodes", log }),
  };
  const ctx = reconcilerContext(client, informers, recorder, (name, delayMs) => queues.volumes.addAfter(name, delayMs));
  removeWhenAborted(signal, addHandlers(informers, ctx, queues));

  informers.start(signal);
  if (!(await informers.waitForSync(signal))) return stopped;
  primeActualState(ctx);
  enqueueAll(ctx, queues);
  every(options.resyncPeriodMs ?? 60_000, signal, () => enqueueAll(ctx, queues));
  const workers = options.workers ?? 4;
  const done = Promise.all([
    queues.volumes.work(signal, (name) => syncVolume(ctx, name), workers),
    queues.nodes.work(signal, (name) => syncNodeStatus(ctx, name), workers),
  ]).then(async () => {
    if (!options.recorder) await recorder.flush();
  });
  return { done };
};
