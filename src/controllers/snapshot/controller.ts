// The snapshot controller (kubernetes-csi/external-snapshotter's snapshot-controller): binds VolumeSnapshots to
// VolumeSnapshotContents. For a dynamic snapshot (source.persistentVolumeClaimName) it picks the class (the named
// one, or the driver's default), protects the source claim while the snapshot is cut, creates the content
// `snapcontent-<snapshot uid>` for the csi-snapshotter sidecar, and copies the content's status back. Deleting a
// snapshot: delete.ts. The class's snapshotter secret: secrets.ts.
import { setMaxListeners } from "node:events";
import type { VolumeSnapshot, VolumeSnapshotContent } from "../../api/snapshot/types.js";
import {
  AnnDeletionSecretRefName,
  AnnDeletionSecretRefNamespace,
  AnnIsDefaultSnapshotClass,
  PVCAsSourceFinalizer,
  VolumeSnapshotAsSourceFinalizer,
  VolumeSnapshotBoundFinalizer,
  VolumeSnapshotContentFinalizer,
} from "../../api/wellknown.js";
import {
  WorkQueue,
  createEventRecorder,
  createInformerFactory,
  isAlreadyExists,
  keyOf,
  type Client,
} from "../../client/index.js";
import { SecretReferenceError, snapshotterSecretRef, type SecretReference } from "./secrets.js";
import { contentNameFor, without, type SnapshotContext } from "./context.js";
import type { Log } from "../../support/log.js";
import { deleteSnapshot, releaseClaim } from "./delete.js";

export { contentNameFor } from "./context.js";

export interface SnapshotControllerOptions {
  client: Client;
  signal: AbortSignal;
  resyncPeriodMs?: number;
  log?: Log;
}

/** Starts the controller; resolves once its informers synced. stop() waits for the loops. */
export async function startSnapshotController(options: SnapshotControllerOptions): Promise<{ stop(): Promise<void> }> {
  const log = options.log ?? ((m, f) => console.warn(`[snapshot-controller] ${m}`, f ?? {}));
  const stopping = new AbortController();
  const signal = AbortSignal.any([options.signal, stopping.signal]);
  setMaxListeners(0, signal);
  const { client } = options;
  const informers = createInformerFactory(client, { resyncPeriodMs: options.resyncPeriodMs ?? 60_000, log });
  const recorder = createEventRecorder(client.events, { component: "snapshot-controller", log });
  const ctx: SnapshotContext = {
    client,
    snapshots: informers.volumeSnapshots,
    contents: informers.volumeSnapshotContents,
    classes: informers.volumeSnapshotClasses,
    claims: informers.persistentVolumeClaims,
    volumes: informers.persistentVolumes,
    recorder,
  };
  const queue = new WorkQueue<string>({ name: "volumesnapshots", log: (m, f) => log(m, f) });
  informers.volumeSnapshots.onChange((snapshot) => queue.add(keyOf(snapshot)));
  // A content's status change (sidecar) or deletion moves its snapshot on.
  informers.volumeSnapshotContents.onChange((content) => {
    const ref = content.spec.volumeSnapshotRef;
    if (ref.namespace && ref.name) queue.add(`${ref.namespace}/${ref.name}`);
  });
  // A claim becoming Bound unblocks snapshots of it; a new default class unblocks class-less snapshots.
  informers.persistentVolumeClaims.onChange((claim) => {
    for (const s of informers.volumeSnapshots.list({ namespace: claim.metadata.namespace }))
      if (s.spec.source.persistentVolumeClaimName === claim.metadata.name) queue.add(keyOf(s));
    // A claim restored from a snapshot (Bound or gone) may release the snapshot's as-source protection.
    const source = claim.spec.dataSourceRef ?? claim.spec.dataSource;
    if (source?.kind === "VolumeSnapshot") queue.add(`${claim.metadata.namespace}/${source.name}`);
  });
  informers.volumeSnapshotClasses.onChange(() => {
    for (const s of informers.volumeSnapshots.list()) if (!s.status?.readyToUse) queue.add(keyOf(s));
  });
  informers.start(signal);
  await informers.waitForSync(signal);
  const loops = queue.work(
    signal,
    async (key) => {
      await syncSnapshot(ctx, key);
      queue.forget(key);
    },
    4,
  );
  return {
    async stop() {
      stopping.abort();
      await loops;
      await recorder.flush();
    },
  };
}

/**
 * The snapshot controller as one of the controller-manager's loops: runs until the signal aborts, then stops and
 * flushes its events. Upstream deploys snapshot-controller on its own; here `stowage controller-manager` (and so
 * `stowage up`) runs it with the other loops, and `stowage csi-snapshotter --snapshot-controller` can too.
 */
export async function runSnapshotController(options: SnapshotControllerOptions): Promise<void> {
  const controller = await startSnapshotController(options);
  if (!options.signal.aborted) {
    await new Promise<void>((resolve) => options.signal.addEventListener("abort", () => resolve(), { once: true }));
  }
  await controller.stop();
}

/** Moves one snapshot one step toward bound and ready (or, being deleted, toward gone). */
export async function syncSnapshot(ctx: SnapshotContext, key: string): Promise<void> {
  const snapshot = ctx.snapshots.get(key);
  if (!snapshot) return;
  const contentName = snapshot.status?.boundVolumeSnapshotContentName ?? contentNameFor(snapshot);
  const staticName = snapshot.spec.source.volumeSnapshotContentName;
  const content = ctx.contents.get(staticName ?? contentName);
  if (snapshot.metadata.deletionTimestamp) return deleteSnapshot(ctx, snapshot, content);

  const finalizers = snapshot.metadata.finalizers ?? [];
  const wanted = [VolumeSnapshotAsSourceFinalizer, ...(content ? [VolumeSnapshotBoundFinalizer] : [])];
  if (wanted.some((f) => !finalizers.includes(f))) {
    const copy = structuredClone(snapshot);
    copy.metadata.finalizers = [...finalizers, ...wanted.filter((f) => !finalizers.includes(f))];
    await ctx.client.volumeSnapshots.update(copy);
    return; // the update event brings us back
  }
  if (staticName) {
    if (!content) return markError(ctx, snapshot, `VolumeSnapshotContent "${staticName}" not found`);
    const ref = content.spec.volumeSnapshotRef;
    if (ref.name !== snapshot.metadata.name || ref.namespace !== snapshot.metadata.namespace) {
      return markError(
        ctx,
        snapshot,
        `VolumeSnapshotContent ${staticName} is bound to a different snapshot`,
        "SnapshotContentMismatch",
      );
    }
    if (
      ref.uid !== snapshot.metadata.uid ||
      !(content.metadata.finalizers ?? []).includes(VolumeSnapshotContentFinalizer)
    ) {
      // Pre-provisioned: bind the content to this very snapshot (uid) and protect it while bound, as upstream.
      if (ref.uid && ref.uid !== snapshot.metadata.uid) {
        return markError(
          ctx,
          snapshot,
          `VolumeSnapshotContent ${staticName} is bound to a different snapshot`,
          "SnapshotContentMismatch",
        );
      }
      const copy = structuredClone(content);
      copy.spec.volumeSnapshotRef = { ...ref, uid: snapshot.metadata.uid };
      copy.metadata.finalizers = [
        ...without(content.metadata.finalizers, VolumeSnapshotContentFinalizer),
        VolumeSnapshotContentFinalizer,
      ];
      await ctx.client.volumeSnapshotContents.update(copy);
      return;
    }
    return updateStatus(ctx, snapshot, content);
  }
  if (content) {
    if (content.status?.snapshotHandle) await releaseClaim(ctx, snapshot);
    return updateStatus(ctx, snapshot, content);
  }
  return createContent(ctx, snapshot);
}

async function createContent(ctx: SnapshotContext, snapshot: VolumeSnapshot): Promise<void> {
  const namespace = snapshot.metadata.namespace ?? "";
  const claimName = snapshot.spec.source.persistentVolumeClaimName ?? "";
  const claim = ctx.claims.get(`${namespace}/${claimName}`);
  if (!claim)
    return markError(
      ctx,
      snapshot,
      `failed to get input parameters to create snapshot ${snapshot.metadata.name}: "PersistentVolumeClaim \\"${claimName}\\" not found"`,
    );
  const volume = claim.spec.volumeName ? ctx.volumes.get(claim.spec.volumeName) : undefined;
  if (claim.status?.phase !== "Bound" || !volume) {
    // upstream waits (SnapshotPending) for the claim to bind; the claim's update requeues us.
    return markError(
      ctx,
      snapshot,
      `the PVC ${claimName} is not yet bound to a PV, will not attempt to take a snapshot`,
      "SnapshotPending",
      "Normal",
    );
  }
  if (!volume.spec.csi) return markError(ctx, snapshot, `volume ${volume.metadata.name} is not a CSI volume`);
  const driver = volume.spec.csi.driver;
  const className = snapshot.spec.volumeSnapshotClassName;
  if (!className) {
    const defaults = ctx.classes
      .list()
      .filter((c) => c.driver === driver && c.metadata.annotations?.[AnnIsDefaultSnapshotClass] === "true");
    if (defaults.length !== 1) {
      return markError(
        ctx,
        snapshot,
        `Failed to set default snapshot class with error ${
          defaults.length === 0
            ? "cannot find default snapshot class"
            : `${defaults.length} default snapshot classes were found`
        }`,
        "SetDefaultSnapshotClassFailed",
      );
    }
    // upstream writes the chosen default into the snapshot's spec.
    const copy = structuredClone(snapshot);
    copy.spec.volumeSnapshotClassName = defaults[0].metadata.name;
    await ctx.client.volumeSnapshots.update(copy);
    return;
  }
  const snapshotClass = ctx.classes.get(className);
  if (!snapshotClass)
    return markError(ctx, snapshot, `volumesnapshotclass.snapshot.storage.k8s.io "${className}" not found`);
  // The class's snapshotter secret, resolved now (the sidecar reads it from the content's annotations, also for
  // DeleteSnapshot after the snapshot is gone). A bad template is the user's to fix: say so, as upstream.
  let secretRef: SecretReference | undefined;
  try {
    secretRef = snapshotterSecretRef(snapshotClass.parameters, contentNameFor(snapshot), snapshot);
  } catch (err) {
    if (!(err instanceof SecretReferenceError)) throw err;
    return markError(
      ctx,
      snapshot,
      `Failed to create snapshot content with error failed to get input parameters to create snapshot ${snapshot.metadata.name}: ${JSON.stringify(err.message)}`,
      "SnapshotContentCreationFailed",
    );
  }
  // The claim may not be deleted while its snapshot is being cut.
  if (!(claim.metadata.finalizers ?? []).includes(PVCAsSourceFinalizer)) {
    const copy = structuredClone(claim);
    copy.metadata.finalizers = [...(claim.metadata.finalizers ?? []), PVCAsSourceFinalizer];
    await ctx.client.persistentVolumeClaims.update(copy);
  }
  const content: VolumeSnapshotContent = {
    apiVersion: "snapshot.storage.k8s.io/v1",
    kind: "VolumeSnapshotContent",
    metadata: {
      name: contentNameFor(snapshot),
      finalizers: [VolumeSnapshotContentFinalizer],
      ...(secretRef
        ? {
            annotations: {
              [AnnDeletionSecretRefName]: secretRef.name,
              [AnnDeletionSecretRefNamespace]: secretRef.namespace,
            },
          }
        : {}),
    },
    spec: {
      volumeSnapshotRef: {
        apiVersion: "snapshot.storage.k8s.io/v1",
        kind: "VolumeSnapshot",
        namespace,
        name: snapshot.metadata.name,
        uid: snapshot.metadata.uid,
        resourceVersion: snapshot.metadata.resourceVersion,
      },
      deletionPolicy: snapshotClass.deletionPolicy,
      driver,
      volumeSnapshotClassName: className,
      source: { volumeHandle: volume.spec.csi.volumeHandle },
      sourceVolumeMode: volume.spec.volumeMode ?? "Filesystem",
    },
  };
  try {
    await ctx.client.volumeSnapshotContents.create(content);
    ctx.recorder.event(
      snapshot,
      "Normal",
      "CreatingSnapshot",
      "Waiting for a snapshot " + `${namespace}/${snapshot.metadata.name} to be created by the CSI driver.`,
    );
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
}

/** Copies the content's status into the snapshot's (upstream's updateSnapshotStatus). */
async function updateStatus(ctx: SnapshotContext, snapshot: VolumeSnapshot, content: VolumeSnapshotContent) {
  const from = content.status ?? {};
  const status = { ...(snapshot.status ?? {}) };
  status.boundVolumeSnapshotContentName = content.metadata.name;
  status.readyToUse = from.readyToUse ?? false;
  if (from.creationTime !== undefined)
    status.creationTime = new Date(Math.floor(from.creationTime / 1e6)).toISOString().replace(/\.\d{3}Z$/, "Z");
  if (from.restoreSize !== undefined) status.restoreSize = bytesToQuantity(from.restoreSize);
  if (from.error) status.error = from.error;
  else delete status.error;
  if (JSON.stringify(status) === JSON.stringify(snapshot.status ?? {})) return;
  const wasReady = snapshot.status?.readyToUse === true;
  await ctx.client.volumeSnapshots.updateStatus({ ...structuredClone(snapshot), status });
  // The sidecar's error (recorded on the content as upstream) is also said on the snapshot, so that `kubectl
  // describe volumesnapshot` shows why it is not ready (upstream leaves only status.error on the snapshot).
  if (from.error?.message && from.error.message !== snapshot.status?.error?.message)
    ctx.recorder.event(snapshot, "Warning", "SnapshotCreationFailed", from.error.message);
  // upstream's updateSnapshotStatus: SnapshotCreated when creationTime first appears, SnapshotReady on readyToUse.
  if (status.creationTime && !snapshot.status?.creationTime)
    ctx.recorder.event(
      snapshot,
      "Normal",
      "SnapshotCreated",
      `Snapshot ${snapshot.metadata.namespace}/${snapshot.metadata.name} was successfully created by the CSI driver.`,
    );
  if (status.readyToUse && !wasReady)
    ctx.recorder.event(
      snapshot,
      "Normal",
      "SnapshotReady",
      `Snapshot ${snapshot.metadata.namespace}/${snapshot.metadata.name} is ready to use.`,
    );
}

/** Quantity text as Kubernetes prints bytes: the largest binary suffix that divides evenly. */
export function bytesToQuantity(bytes: number): string {
  const units = ["Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];
  let value = BigInt(bytes);
  let unit = "";
  for (const u of units) {
    if (value === 0n || value % 1024n !== 0n) break;
    value /= 1024n;
    unit = u;
  }
  return `${value}${unit}`;
}

async function markError(
  ctx: SnapshotContext,
  snapshot: VolumeSnapshot,
  message: string,
  reason = "SnapshotCreationFailed",
  type: "Warning" | "Normal" = "Warning",
): Promise<void> {
  ctx.recorder.event(snapshot, type, reason, message);
  if (snapshot.status?.error?.message === message) return;
  const status = {
    ...(snapshot.status ?? {}),
    readyToUse: false,
    error: { time: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"), message },
  };
  await ctx.client.volumeSnapshots.updateStatus({ ...structuredClone(snapshot), status });
}
