// The attacher sidecar's wiring (external-attacher's main + CSIAttachController): ask the driver who it is and
// what it can do, then run two queues over informers — VolumeAttachments (by name) and PVs (their finalizer) —
// plus, when the driver can list where volumes are published, a periodic reconcile against the driver.
// Level-triggered: on start every VolumeAttachment is listed and synced, which is how a restarted attacher
// finishes what a killed one began.
import { grpcErrorText } from "../../errors.js";
import { setMaxListeners } from "node:events";
import type { VolumeAttachment } from "../../../api/storage/types.js";
import { WorkQueue, createInformerFactory, type Client } from "../../../client/index.js";
import type { CsiClient } from "../../client.js";
import { type AttacherContext } from "./context.js";
import type { Log } from "../../../support/log.js";
import { syncAttachment } from "./attach.js";
import { reconcileAttachments } from "./reconcile.js";
import { attachmentsByVolume, syncVolume } from "./volumes.js";

export interface AttacherOptions {
  client: Client;
  /** A connected driver (CsiClient.connect). Not closed by stop(). */
  csi: CsiClient;
  /** Aborting it stops the loops (and cancels in-flight CSI calls). */
  signal: AbortSignal;
  /** Concurrent syncs per queue (upstream --worker-threads, 10). */
  workers?: number;
  /** Deadline of ControllerPublish/Unpublish (upstream --timeout, 15 s). */
  timeoutMs?: number;
  /** How often informers resync (upstream --resync, 10 min; we default to 60 s). */
  resyncPeriodMs?: number;
  /** How often attachments are checked against ListVolumes (upstream --reconcile-sync, 1 min). 0 disables. */
  reconcilePeriodMs?: number;
  /** First retry delay after a failed attach/detach, doubling per failure (upstream --retry-interval-start, 1 s). */
  retryIntervalStartMs?: number;
  /** Cap of that delay (upstream --retry-interval-max, 5 min). */
  retryIntervalMaxMs?: number;
  /** fsType for PVs that name none (upstream --default-fstype). */
  defaultFsType?: string;
  log?: Log;
}

export interface RunningAttacher {
  driverName: string;
  /** Stops the loops and waits for in-flight syncs. */
  stop(): Promise<void>;
}

export class AttacherStartError extends Error {
  override name = "AttacherStartError";
}

const defaultLog: Log = (message, fields) => console.warn(`[csi-attacher] ${message}`, fields ?? {});

/** Starts the attacher; resolves once its informers synced and its workers run. */
export async function startAttacher(options: AttacherOptions): Promise<RunningAttacher> {
  const log = options.log ?? defaultLog;
  const { client, csi } = options;
  const info = await csi.pluginInfo();
  const plugin = await csi.pluginCapabilities();
  if (!plugin.services.has("CONTROLLER_SERVICE")) {
    throw new AttacherStartError(
      `CSI driver ${info.name} does not report the CONTROLLER_SERVICE plugin capability; it cannot attach volumes`,
    );
  }
  const capabilities = await csi.controllerCapabilities();
  const driverName = info.name;
  // Without PUBLISH_UNPUBLISH_VOLUME there is nothing to call: upstream's trivial handler marks every
  // attachment attached at once and adds no finalizer.
  const trivial = !capabilities.has("PUBLISH_UNPUBLISH_VOLUME");

  const stopping = new AbortController();
  const signal = AbortSignal.any([options.signal, stopping.signal]);
  setMaxListeners(0, signal);
  const informers = createInformerFactory(client, { resyncPeriodMs: options.resyncPeriodMs ?? 60_000, log });
  const attachments = informers.volumeAttachments;
  attachments.addIndexer(attachmentsByVolume, (a) =>
    a.spec.source.persistentVolumeName ? [a.spec.source.persistentVolumeName] : [],
  );
  const ctx: AttacherContext = {
    client,
    csi,
    driverName,
    attachments,
    volumes: informers.persistentVolumes,
    csiNodes: informers.csiNodes,
    nodes: informers.nodes,
    supportsPublishReadOnly: capabilities.has("PUBLISH_READONLY"),
    supportsSingleNodeMultiWriter: capabilities.has("SINGLE_NODE_MULTI_WRITER"),
    defaultFsType: options.defaultFsType ?? "",
    timeoutMs: options.timeoutMs ?? 15_000,
    forceSync: new Set(),
    signal,
    log,
  };

  const backoff = {
    baseDelayMs: options.retryIntervalStartMs ?? 1000,
    maxDelayMs: options.retryIntervalMaxMs ?? 300_000,
  };
  const attachmentQueue = new WorkQueue<string>({ name: "csi-attacher-va", log, ...backoff });
  const volumeQueue = new WorkQueue<string>({ name: "csi-attacher-pv", log, ...backoff });
  const ours = (attachment: VolumeAttachment) => attachment.spec.attacher === driverName;
  attachments.onChange((attachment) => {
    if (ours(attachment)) attachmentQueue.add(attachment.metadata.name ?? "");
  });
  attachments.onDelete((attachment) => {
    if (ours(attachment) && attachment.spec.source.persistentVolumeName) {
      volumeQueue.add(attachment.spec.source.persistentVolumeName);
    }
  });
  informers.persistentVolumes.onChange((volume) => {
    if (trivial) return;
    volumeQueue.add(volume.metadata.name ?? "");
    // A PV appearing or changing may unblock attachments that failed for want of it.
    for (const attachment of attachments.byIndex(attachmentsByVolume, volume.metadata.name ?? "")) {
      if (ours(attachment) && !attachment.status?.attached) attachmentQueue.add(attachment.metadata.name ?? "");
    }
  });
  // A node's CSINode (its driver's node ID) appearing unblocks attachments waiting for it.
  informers.csiNodes.onChange((csiNode) => {
    for (const attachment of attachments.list()) {
      if (ours(attachment) && attachment.spec.nodeName === csiNode.metadata.name && !attachment.status?.attached) {
        attachmentQueue.add(attachment.metadata.name ?? "");
      }
    }
  });
  void informers.nodes;

  informers.start(signal);
  if (!(await informers.waitForSync(signal))) {
    return { driverName, stop: async () => stopping.abort() };
  }

  const syncTrivial = async (name: string) => {
    const attachment = attachments.get(name);
    if (!attachment || !ours(attachment) || attachment.status?.attached) return;
    await client.volumeAttachments.patch(name, "merge", { status: { attached: true } }, { subresource: "status" });
  };
  const workers = options.workers ?? 10;
  const worker = (queue: WorkQueue<string>, sync: (name: string) => Promise<void>) =>
    queue.work(
      signal,
      async (name) => {
        try {
          await sync(name);
          queue.forget(name);
        } catch (err) {
          if (signal.aborted) return;
          log(`${queue.name}: sync failed; will retry`, { name, err: grpcErrorText(err) });
          queue.addRateLimited(name);
        }
      },
      workers,
    );
  const loops = [
    worker(attachmentQueue, trivial ? syncTrivial : (name) => syncAttachment(ctx, name)),
    worker(volumeQueue, (name) => syncVolume(ctx, name)),
  ];

  const reconcilePeriodMs = options.reconcilePeriodMs ?? 60_000;
  const canReconcile = !trivial && capabilities.has("LIST_VOLUMES") && capabilities.has("LIST_VOLUMES_PUBLISHED_NODES");
  let reconciling: Promise<unknown> = Promise.resolve();
  if (canReconcile && reconcilePeriodMs > 0) {
    const reconcile = () => {
      reconciling = reconcileAttachments(ctx, (name) => attachmentQueue.add(name)).catch((err: unknown) => {
        if (!signal.aborted) log("reconciling with the driver failed", { err: grpcErrorText(err) });
      });
    };
    reconcile();
    const timer = setInterval(reconcile, reconcilePeriodMs);
    timer.unref?.();
    signal.addEventListener("abort", () => clearInterval(timer), { once: true });
  }
  log("attacher started", { driver: driverName, trivial, reconcile: canReconcile });

  return {
    driverName,
    async stop() {
      stopping.abort();
      await Promise.all(loops);
      await reconciling;
    },
  };
}
