// The csi-snapshotter sidecar (kubernetes-csi/external-snapshotter's sidecar controller): for each
// VolumeSnapshotContent of its driver, CreateSnapshot (dynamic: source.volumeHandle) or ListSnapshots (static:
// source.snapshotHandle) and write the result into the content's status (create.ts); a content whose deletion is
// meant gets DeleteSnapshot and loses its finalizer (delete.ts). CreateSnapshot is idempotent by name
// (`snapshot-<snapshot uid>`), so a sidecar killed mid-call redoes it safely after restart.
import { setMaxListeners } from "node:events";
import { WorkQueue, createEventRecorder, createInformerFactory, type Client } from "../../../client/index.js";
import type { CsiClient } from "../../client.js";
import { cutSnapshot, removeBeingCreated, type SnapshotterContext } from "./create.js";
import { deleteContent, shouldDelete } from "./delete.js";

export { snapshotNameFor } from "./create.js";

import type { Log } from "../../../support/log.js";

export interface SnapshotterOptions {
  client: Client;
  /** A connected driver; not closed by stop(). */
  csi: CsiClient;
  signal: AbortSignal;
  /** Deadline of each CSI call (upstream's --timeout, 1 min). */
  timeoutMs?: number;
  resyncPeriodMs?: number;
  log?: Log;
}

/** Starts the sidecar; resolves once its informers synced. */
export async function startSnapshotter(
  options: SnapshotterOptions,
): Promise<{ driverName: string; stop(): Promise<void> }> {
  const log = options.log ?? ((m, f) => console.warn(`[csi-snapshotter] ${m}`, f ?? {}));
  const { client, csi } = options;
  const info = await csi.pluginInfo();
  const capabilities = await csi.controllerCapabilities();
  if (!capabilities.has("CREATE_DELETE_SNAPSHOT")) {
    throw new Error(
      "CSI driver does not support snapshots: controller CREATE_DELETE_SNAPSHOT capability is not reported",
    );
  }
  const stopping = new AbortController();
  const signal = AbortSignal.any([options.signal, stopping.signal]);
  setMaxListeners(0, signal);
  const informers = createInformerFactory(client, { resyncPeriodMs: options.resyncPeriodMs ?? 60_000, log });
  const ctx: SnapshotterContext = {
    client,
    csi,
    driverName: info.name,
    contents: informers.volumeSnapshotContents,
    classes: informers.volumeSnapshotClasses,
    // upstream's event source: "csi-snapshotter <driver>"
    recorder: createEventRecorder(client.events, { component: `csi-snapshotter ${info.name}`, log }),
    timeoutMs: options.timeoutMs ?? 60_000,
  };
  const queue = new WorkQueue<string>({ name: "volumesnapshotcontents", log: (m, f) => log(m, f) });
  informers.volumeSnapshotContents.onChange((content) => {
    if (content.spec.driver === ctx.driverName) queue.add(content.metadata.name ?? "");
  });
  informers.start(signal);
  await informers.waitForSync(signal);
  const loops = queue.work(
    signal,
    async (name) => {
      try {
        const again = await syncContent(ctx, name);
        queue.forget(name);
        // Not ready yet (a snapshot still being cut or uploaded): look again, as upstream's requeue.
        if (again) queue.addAfter(name, 1000);
      } catch (err) {
        if (signal.aborted) return;
        log("content sync failed; will retry", { name, err: (err as Error).message });
        queue.addRateLimited(name);
      }
    },
    4,
  );
  log("csi-snapshotter started", { driver: ctx.driverName });
  return {
    driverName: ctx.driverName,
    async stop() {
      stopping.abort();
      await loops;
      await ctx.recorder.flush();
    },
  };
}

/** One step for one content (upstream syncContent). Returns true when it should be looked at again (not ready yet). */
export async function syncContent(ctx: SnapshotterContext, name: string): Promise<boolean> {
  const content = ctx.contents.get(name);
  if (!content || content.spec.driver !== ctx.driverName) return false;
  if (shouldDelete(content)) {
    await deleteContent(ctx, content);
    return false;
  }
  // Not deleting (or not yet: a deleted content whose CreateSnapshot may still run goes on below until the driver's
  // answer clears the being-created mark, as upstream).
  if (content.status?.readyToUse && content.status.snapshotHandle) {
    // A sidecar stopped between the status write and dropping the mark: drop it now.
    await removeBeingCreated(ctx, content);
    return false;
  }
  return cutSnapshot(ctx, content);
}
