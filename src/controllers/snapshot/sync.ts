// The snapshot controller's sync (external-snapshotter's snapshot_controller.go syncSnapshot): one VolumeSnapshot
// one step toward bound and ready — finalizers, a pre-provisioned content bound, a dynamic content created for the
// csi-snapshotter sidecar, the content's status copied back. Deleting a snapshot: delete.ts.
import type { PersistentVolume } from "../../api/core/types.js";
import type { VolumeSnapshot, VolumeSnapshotClass, VolumeSnapshotContent } from "../../api/snapshot/types.js";
import {
  AnnDeletionSecretRefName,
  AnnDeletionSecretRefNamespace,
  AnnIsDefaultSnapshotClass,
  PVCAsSourceFinalizer,
  VolumeSnapshotAsSourceFinalizer,
  VolumeSnapshotBoundFinalizer,
  VolumeSnapshotContentFinalizer,
} from "../../api/wellknown.js";
import { isAlreadyExists } from "../../client/index.js";
import { SecretReferenceError, snapshotterSecretRef, type SecretReference } from "./secrets.js";
import { contentNameFor, without, type SnapshotContext } from "./context.js";
import { deleteSnapshot, releaseClaim } from "./delete.js";

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
  if (!className) return setDefaultClass(ctx, snapshot, driver);
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
  const content = newContent(snapshot, snapshotClass, volume, secretRef);
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

/** No class named: the driver's one default class, written into the snapshot's spec as upstream does. */
async function setDefaultClass(ctx: SnapshotContext, snapshot: VolumeSnapshot, driver: string): Promise<void> {
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
}

/** The dynamic content for the csi-snapshotter sidecar: `snapcontent-<snapshot uid>`, bound to the snapshot by uid. */
function newContent(
  snapshot: VolumeSnapshot,
  snapshotClass: VolumeSnapshotClass,
  volume: PersistentVolume,
  secretRef: SecretReference | undefined,
): VolumeSnapshotContent {
  const namespace = snapshot.metadata.namespace ?? "";
  return {
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
      driver: volume.spec.csi?.driver ?? "",
      volumeSnapshotClassName: snapshotClass.metadata.name,
      source: { volumeHandle: volume.spec.csi?.volumeHandle ?? "" },
      sourceVolumeMode: volume.spec.volumeMode ?? "Filesystem",
    },
  };
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
