// The snapshot controller (kubernetes-csi/external-snapshotter's snapshot-controller): binds VolumeSnapshots to
// VolumeSnapshotContents. For a dynamic snapshot (source.persistentVolumeClaimName) it picks the class (the named
// one, or the driver's default), protects the source claim while the snapshot is cut, creates the content
// `snapcontent-<snapshot uid>` for the csi-snapshotter sidecar, and copies the content's status back. Deleting a
// snapshot: delete.ts. The class's snapshotter secret: secrets.ts. This file is the wiring; the sync is in sync.ts.
import { setMaxListeners } from "node:events";
import {
  WorkQueue,
  createEventRecorder,
  createInformerFactory,
  every,
  keyOf,
  removeWhenAborted,
  stopped,
  type Client,
  type InformerFactory,
  type StartLoop,
} from "../../client/index.js";
import type { Log } from "../../support/log.js";
import type { SnapshotContext } from "./context.js";
import { syncSnapshot } from "./sync.js";

export { contentNameFor } from "./context.js";
export { bytesToQuantity, syncSnapshot } from "./sync.js";

export interface SnapshotControllerContext {
  client: Client;
  /**
   * Shared informers (the controller-manager's). Upstream deploys snapshot-controller on its own; here
   * `stowage controller-manager` (and so `stowage up`) runs it with the other loops, and
   * `stowage csi-snapshotter --snapshot-controller` runs it alone: then a private factory is made and started.
   */
  informers?: InformerFactory;
  /** Every snapshot is looked at again this often (default 60 s, as upstream's --resync-period). */
  resyncPeriodMs?: number;
  log?: Log;
}

/** Starts the controller; resolves once its informers synced. */
export const startSnapshotController: StartLoop<SnapshotControllerContext> = async (options, signal) => {
  const log = options.log ?? ((m, f) => console.warn(`[snapshot-controller] ${m}`, f ?? {}));
  const { client } = options;
  // Alone, every informer, queue and timer here listens on the signal: by design, not a leak.
  if (!options.informers) setMaxListeners(0, signal);
  const informers = options.informers ?? createInformerFactory(client, { log });
  const snapshots = informers.volumeSnapshots;
  const recorder = createEventRecorder(client.events, { component: "snapshot-controller", log });
  const ctx: SnapshotContext = {
    client,
    snapshots,
    contents: informers.volumeSnapshotContents,
    classes: informers.volumeSnapshotClasses,
    claims: informers.persistentVolumeClaims,
    volumes: informers.persistentVolumes,
    recorder,
  };
  const queue = new WorkQueue<string>({ name: "volumesnapshots", log });
  removeWhenAborted(signal, [
    snapshots.onChange((snapshot) => queue.add(keyOf(snapshot))),
    // A content's status change (sidecar) or deletion moves its snapshot on.
    informers.volumeSnapshotContents.onChange((content) => {
      const ref = content.spec.volumeSnapshotRef;
      if (ref.namespace && ref.name) queue.add(`${ref.namespace}/${ref.name}`);
    }),
    // A claim becoming Bound unblocks snapshots of it; a new default class unblocks class-less snapshots.
    informers.persistentVolumeClaims.onChange((claim) => {
      for (const s of snapshots.list({ namespace: claim.metadata.namespace }))
        if (s.spec.source.persistentVolumeClaimName === claim.metadata.name) queue.add(keyOf(s));
      // A claim restored from a snapshot (Bound or gone) may release the snapshot's as-source protection.
      const source = claim.spec.dataSourceRef ?? claim.spec.dataSource;
      if (source?.kind === "VolumeSnapshot") queue.add(`${claim.metadata.namespace}/${source.name}`);
    }),
    informers.volumeSnapshotClasses.onChange(() => {
      for (const s of snapshots.list()) if (!s.status?.readyToUse) queue.add(keyOf(s));
    }),
  ]);
  // Every snapshot again now and then (what the informers' resync of upstream's controller amounts to: each of its
  // handlers only ever queues snapshots).
  every(options.resyncPeriodMs ?? 60_000, signal, () => snapshots.keys().forEach((key) => queue.add(key)));
  informers.start(signal);
  if (!(await informers.waitForSync(signal))) return stopped;
  const workers = queue.work(signal, (key) => syncSnapshot(ctx, key), 4);
  return { done: workers.then(() => recorder.flush()) };
};
