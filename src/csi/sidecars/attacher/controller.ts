// The attacher sidecar's wiring (external-attacher's main + CSIAttachController): ask the driver who it is and
// what it can do, then run two queues over informers — VolumeAttachments (by name) and PVs (their finalizer) —
// plus, when the driver can list where volumes are published, a periodic reconcile against the driver.
// Level-triggered: on start every VolumeAttachment is listed and synced, which is how a restarted attacher
// finishes what a killed one began.
import type { VolumeAttachment } from "../../../api/storage/types.js";
import { every } from "../../../client/controlloop.js";
import { WorkQueue } from "../../../client/index.js";
import { grpcErrorText } from "../../errors.js";
import {
  SidecarStartError,
  backoffOf,
  beginSidecar,
  runWhenSynced,
  type RetryOptions,
  type RunningSidecar,
  type Sidecar,
  type SidecarOptions,
} from "../common/start.js";
import type { AttacherContext } from "./context.js";
import { syncAttachment } from "./attach.js";
import { reconcileAttachments } from "./reconcile.js";
import { attachmentsByVolume, syncVolume } from "./volumes.js";

export interface AttacherOptions extends SidecarOptions, RetryOptions {
  /** Concurrent syncs per queue (upstream --worker-threads, 10). */
  workers?: number;
  /** Deadline of ControllerPublish/Unpublish (upstream --timeout, 15 s). */
  timeoutMs?: number;
  /** How often attachments are checked against ListVolumes (upstream --reconcile-sync, 1 min). 0 disables. */
  reconcilePeriodMs?: number;
  /** fsType for PVs that name none (upstream --default-fstype). */
  defaultFsType?: string;
}

/** A started attacher (see RunningSidecar). */
export type RunningAttacher = RunningSidecar;

/** The attacher's context over the sidecar's informers, with what the driver can do. */
function attacherContext(options: AttacherOptions, { driver, informers, signal, log }: Sidecar): AttacherContext {
  const attachments = informers.volumeAttachments;
  attachments.addIndexer(attachmentsByVolume, (a) =>
    a.spec.source.persistentVolumeName ? [a.spec.source.persistentVolumeName] : [],
  );
  return {
    client: options.client,
    csi: options.csi,
    driverName: driver.driverName,
    attachments,
    volumes: informers.persistentVolumes,
    csiNodes: informers.csiNodes,
    nodes: informers.nodes,
    supportsPublishReadOnly: driver.controller.has("PUBLISH_READONLY"),
    supportsSingleNodeMultiWriter: driver.controller.has("SINGLE_NODE_MULTI_WRITER"),
    defaultFsType: options.defaultFsType ?? "",
    timeoutMs: options.timeoutMs ?? 15_000,
    forceSync: new Set(),
    signal,
    log,
  };
}

/** Starts the attacher; resolves once its informers synced and its workers run. */
export async function startAttacher(options: AttacherOptions): Promise<RunningAttacher> {
  const sidecar = await beginSidecar("csi-attacher", options, (driver) => {
    if (!driver.plugin.services.has("CONTROLLER_SERVICE")) {
      throw new SidecarStartError(
        `CSI driver ${driver.driverName} does not report the CONTROLLER_SERVICE plugin capability; it cannot attach volumes`,
      );
    }
  });
  const { driver, informers, signal, log } = sidecar;
  const { driverName, controller: capabilities } = driver;
  // Without PUBLISH_UNPUBLISH_VOLUME there is nothing to call: upstream's trivial handler marks every
  // attachment attached at once and adds no finalizer.
  const trivial = !capabilities.has("PUBLISH_UNPUBLISH_VOLUME");
  const ctx = attacherContext(options, sidecar);
  const attachments = informers.volumeAttachments;

  const backoff = backoffOf(options);
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

  const syncTrivial = async (name: string) => {
    const attachment = attachments.get(name);
    if (!attachment || !ours(attachment) || attachment.status?.attached) return;
    await options.client.volumeAttachments.patch(
      name,
      "merge",
      { status: { attached: true } },
      { subresource: "status" },
    );
  };
  const workers = options.workers ?? 10;
  const reconcilePeriodMs = options.reconcilePeriodMs ?? 60_000;
  const canReconcile = !trivial && capabilities.has("LIST_VOLUMES") && capabilities.has("LIST_VOLUMES_PUBLISHED_NODES");
  return runWhenSynced(sidecar, {
    started: ["attacher started", { driver: driverName, trivial, reconcile: canReconcile }],
    loops: () => [
      attachmentQueue.work(signal, trivial ? syncTrivial : (name) => syncAttachment(ctx, name), workers),
      volumeQueue.work(signal, (name) => syncVolume(ctx, name), workers),
      canReconcile && reconcilePeriodMs > 0
        ? reconcileEvery(ctx, reconcilePeriodMs, (name) => attachmentQueue.add(name))
        : Promise.resolve(),
    ],
  });
}

/**
 * Checks attachments against the driver's ListVolumes now and every periodMs until the signal aborts; settles once
 * the signal aborted and the last check finished.
 */
function reconcileEvery(ctx: AttacherContext, periodMs: number, enqueue: (name: string) => void): Promise<void> {
  const { signal, log } = ctx;
  let reconciling: Promise<unknown> = Promise.resolve();
  const reconcile = () => {
    reconciling = reconcileAttachments(ctx, enqueue).catch((err: unknown) => {
      if (!signal.aborted) log("reconciling with the driver failed", { err: grpcErrorText(err) });
    });
  };
  reconcile();
  every(periodMs, signal, reconcile);
  return new Promise<void>((resolve) => {
    const stopped = () => void reconciling.then(() => resolve());
    if (signal.aborted) stopped();
    else signal.addEventListener("abort", stopped, { once: true });
  });
}
