// The csi-snapshotter sidecar (kubernetes-csi/external-snapshotter's sidecar controller): for each
// VolumeSnapshotContent of its driver, CreateSnapshot (dynamic: source.volumeHandle) or ListSnapshots (static:
// source.snapshotHandle) and write the result into the content's status (create.ts); a content whose deletion is
// meant gets DeleteSnapshot and loses its finalizer (delete.ts). CreateSnapshot is idempotent by name
// (`snapshot-<snapshot uid>`), so a sidecar killed mid-call redoes it safely after restart.
import { WorkQueue, createEventRecorder } from "../../../client/index.js";
import {
  SidecarStartError,
  beginSidecar,
  runWhenSynced,
  type RunningSidecar,
  type SidecarOptions,
} from "../common/start.js";
import { cutSnapshot, removeBeingCreated, type SnapshotterContext } from "./create.js";
import { deleteContent, shouldDelete } from "./delete.js";

export { snapshotNameFor } from "./create.js";

export interface SnapshotterOptions extends SidecarOptions {
  /** Deadline of each CSI call (upstream's --timeout, 1 min). */
  timeoutMs?: number;
}

/** Starts the sidecar; resolves once its informers synced. */
export async function startSnapshotter(options: SnapshotterOptions): Promise<RunningSidecar> {
  const { client, csi } = options;
  const sidecar = await beginSidecar("csi-snapshotter", options, ({ controller }) => {
    if (!controller.has("CREATE_DELETE_SNAPSHOT")) {
      throw new SidecarStartError(
        "CSI driver does not support snapshots: controller CREATE_DELETE_SNAPSHOT capability is not reported",
      );
    }
  });
  const { informers, log } = sidecar;
  const { driverName } = sidecar.driver;
  const ctx: SnapshotterContext = {
    client,
    csi,
    driverName,
    contents: informers.volumeSnapshotContents,
    classes: informers.volumeSnapshotClasses,
    // upstream's event source: "csi-snapshotter <driver>"
    recorder: createEventRecorder(client.events, { component: `csi-snapshotter ${driverName}`, log }),
    timeoutMs: options.timeoutMs ?? 60_000,
  };
  const queue = new WorkQueue<string>({ name: "volumesnapshotcontents", log });
  informers.volumeSnapshotContents.onChange((content) => {
    if (content.spec.driver === ctx.driverName) queue.add(content.metadata.name ?? "");
  });
  const sync = async (name: string) => {
    // Not ready yet (a snapshot still being cut or uploaded): look again, as upstream's requeue.
    if (await syncContent(ctx, name)) queue.addAfter(name, 1000);
  };
  return runWhenSynced(sidecar, {
    started: ["csi-snapshotter started", { driver: driverName }],
    loops: () => [queue.work(sidecar.signal, sync, 4)],
    drained: () => ctx.recorder.flush(),
  });
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
