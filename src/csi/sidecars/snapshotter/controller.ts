// The csi-snapshotter sidecar (kubernetes-csi/external-snapshotter's sidecar controller): for each
// VolumeSnapshotContent of its driver, CreateSnapshot (dynamic: source.volumeHandle) or ListSnapshots (static:
// source.snapshotHandle) and write the result into the content's status; on the content's deletion with policy
// Delete, DeleteSnapshot and drop the content's finalizer. CreateSnapshot is idempotent by name
// (`snapshot-<snapshot uid>`), so a sidecar killed mid-call redoes it safely after restart.
import { setMaxListeners } from "node:events";
import type { VolumeSnapshotClass, VolumeSnapshotContent } from "../../../api/snapshot/types.js";
import { VolumeSnapshotContentFinalizer } from "../../../api/wellknown.js";
import { WorkQueue, createInformerFactory, isNotFound, type Client, type Lister } from "../../../client/index.js";
import type { CsiClient } from "../../client.js";
import { CsiError } from "../../errors.js";

export type Log = (message: string, fields?: Record<string, unknown>) => void;

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

interface SnapshotterContext {
  client: Client;
  csi: CsiClient;
  driverName: string;
  contents: Lister<VolumeSnapshotContent>;
  classes: Lister<VolumeSnapshotClass>;
  timeoutMs: number;
}

/** upstream's --snapshot-name-prefix "snapshot" + the snapshot's uid: CreateSnapshot's idempotency key. */
export const snapshotNameFor = (content: VolumeSnapshotContent): string =>
  `snapshot-${content.spec.volumeSnapshotRef.uid ?? content.metadata.uid}`;

/** Parameters the sidecar consumes itself (secrets), never passed to the driver. */
const isSidecarParameter = (key: string) => key.startsWith("csi.storage.k8s.io/");

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
    timeoutMs: options.timeoutMs ?? 60_000,
  };
  const queue = new WorkQueue<string>({ name: "volumesnapshotcontents", log: (m, f) => log(m, f) });
  informers.volumeSnapshotContents.onChange((content) => {
    if (content.spec.driver === ctx.driverName) queue.add(content.metadata.name ?? "");
  });
  void informers.volumeSnapshotClasses;
  informers.start(signal);
  await informers.waitForSync(signal);
  const loops = queue.work(
    signal,
    async (name) => {
      const again = await syncContent(ctx, name);
      queue.forget(name);
      // Not ready yet (a snapshot still being cut or uploaded): look again, as upstream's requeue.
      if (again) queue.addAfter(name, 1000);
    },
    4,
  );
  log("csi-snapshotter started", { driver: ctx.driverName });
  return {
    driverName: ctx.driverName,
    async stop() {
      stopping.abort();
      await loops;
    },
  };
}

/** One step for one content. Returns true when it should be looked at again (not ready yet). */
export async function syncContent(ctx: SnapshotterContext, name: string): Promise<boolean> {
  const content = ctx.contents.get(name);
  if (!content || content.spec.driver !== ctx.driverName) return false;
  if (content.metadata.deletionTimestamp) {
    await deleteContent(ctx, content);
    return false;
  }
  if (content.status?.readyToUse && content.status.snapshotHandle) return false;
  const snapshotClass = content.spec.volumeSnapshotClassName
    ? ctx.classes.get(content.spec.volumeSnapshotClassName)
    : undefined;
  let snapshot;
  try {
    if (content.spec.source.volumeHandle) {
      const parameters = Object.fromEntries(
        Object.entries(snapshotClass?.parameters ?? {}).filter(([key]) => !isSidecarParameter(key)),
      );
      const response = await ctx.csi.controller.CreateSnapshot(
        { name: snapshotNameFor(content), source_volume_id: content.spec.source.volumeHandle, parameters },
        { timeoutMs: ctx.timeoutMs },
      );
      snapshot = response.snapshot;
    } else if (content.spec.source.snapshotHandle) {
      const response = await ctx.csi.controller.ListSnapshots(
        { snapshot_id: content.spec.source.snapshotHandle },
        { timeoutMs: ctx.timeoutMs },
      );
      snapshot = response.entries[0]?.snapshot;
      if (!snapshot) throw new Error(`snapshot ${content.spec.source.snapshotHandle} not found`);
    } else return false;
  } catch (err) {
    // upstream: status.error "Failed to check and update snapshot content: …", retried with backoff.
    const message = `Failed to check and update snapshot content: ${err instanceof CsiError ? `rpc error: ${err.message}` : (err as Error).message}`;
    if (content.status?.error?.message !== message) {
      const status = { ...(content.status ?? {}), readyToUse: false, error: { time: now(), message } };
      await ctx.client.volumeSnapshotContents.updateStatus({ ...structuredClone(content), status });
    }
    throw err;
  }
  if (!snapshot) throw new Error("CreateSnapshot returned no snapshot");
  const seconds = Number(snapshot.creation_time?.seconds ?? 0);
  const status = {
    snapshotHandle: snapshot.snapshot_id,
    creationTime: seconds * 1e9 + (snapshot.creation_time?.nanos ?? 0),
    restoreSize: Number(snapshot.size_bytes),
    readyToUse: snapshot.ready_to_use,
  };
  await ctx.client.volumeSnapshotContents.updateStatus({ ...structuredClone(content), status });
  return !snapshot.ready_to_use;
}

async function deleteContent(ctx: SnapshotterContext, content: VolumeSnapshotContent): Promise<void> {
  if (!(content.metadata.finalizers ?? []).includes(VolumeSnapshotContentFinalizer)) return;
  const handle = content.status?.snapshotHandle ?? content.spec.source.snapshotHandle;
  if (content.spec.deletionPolicy === "Delete" && handle) {
    // NOT_FOUND counts as deleted in CSI's DeleteSnapshot; any other failure is retried.
    await ctx.csi.controller.DeleteSnapshot({ snapshot_id: handle }, { timeoutMs: ctx.timeoutMs });
  }
  const copy = structuredClone(content);
  copy.metadata.finalizers = (content.metadata.finalizers ?? []).filter((f) => f !== VolumeSnapshotContentFinalizer);
  try {
    await ctx.client.volumeSnapshotContents.update(copy);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
