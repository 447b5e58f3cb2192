// A VolumeSnapshot being deleted (upstream processSnapshotWithDeletionTimestamp): held while a claim is still being
// restored from it; then its source claim's protection goes, its content is marked
// snapshot.storage.kubernetes.io/volumesnapshot-being-deleted (any policy) and, with policy Delete, deleted (the
// csi-snapshotter calls DeleteSnapshot and drops the content's finalizer); with Retain the content stays, unprotected.
// The snapshot's own finalizers go last.
import type { VolumeSnapshot, VolumeSnapshotContent } from "../../api/snapshot/types.js";
import {
  AnnVolumeSnapshotBeingDeleted,
  PVCAsSourceFinalizer,
  VolumeSnapshotAsSourceFinalizer,
  VolumeSnapshotBoundFinalizer,
  VolumeSnapshotContentFinalizer,
} from "../../api/wellknown.js";
import { isNotFound } from "../../client/index.js";
import { contentNameFor, without, type SnapshotContext } from "./context.js";

/** Drops pvc-as-source-protection once no snapshot of the claim is still being cut. */
export async function releaseClaim(ctx: SnapshotContext, snapshot: VolumeSnapshot): Promise<void> {
  const claimName = snapshot.spec.source.persistentVolumeClaimName;
  if (!claimName) return;
  const claim = ctx.claims.get(`${snapshot.metadata.namespace}/${claimName}`);
  if (!claim || !(claim.metadata.finalizers ?? []).includes(PVCAsSourceFinalizer)) return;
  const busy = ctx.snapshots
    .list({ namespace: snapshot.metadata.namespace })
    .some(
      (s) =>
        s.spec.source.persistentVolumeClaimName === claimName &&
        !ctx.contents.get(contentNameFor(s))?.status?.snapshotHandle &&
        !s.metadata.deletionTimestamp,
    );
  if (busy) return;
  const copy = structuredClone(claim);
  copy.metadata.finalizers = without(claim.metadata.finalizers, PVCAsSourceFinalizer);
  await ctx.client.persistentVolumeClaims.update(copy);
}

/** A claim still being restored from this snapshot keeps volumesnapshot-as-source-protection. */
function isUsedAsSource(ctx: SnapshotContext, snapshot: VolumeSnapshot): boolean {
  return ctx.claims.list({ namespace: snapshot.metadata.namespace }).some((claim) => {
    const source = claim.spec.dataSourceRef ?? claim.spec.dataSource;
    return (
      source?.kind === "VolumeSnapshot" && source.name === snapshot.metadata.name && claim.status?.phase === "Pending"
    );
  });
}

export async function deleteSnapshot(
  ctx: SnapshotContext,
  snapshot: VolumeSnapshot,
  content: VolumeSnapshotContent | undefined,
) {
  if (isUsedAsSource(ctx, snapshot)) return;
  await releaseClaim(ctx, snapshot);
  const bound = content && content.spec.volumeSnapshotRef.uid === snapshot.metadata.uid;
  if (bound && content.metadata.annotations?.[AnnVolumeSnapshotBeingDeleted] !== "yes") {
    // Regardless of the policy, the content is told its snapshot is going (upstream setAnnVolumeSnapshotBeingDeleted):
    // the sidecar deletes a content only with this mark, never one whose snapshot a user merely lost track of.
    const copy = structuredClone(content);
    copy.metadata.annotations = { ...(content.metadata.annotations ?? {}), [AnnVolumeSnapshotBeingDeleted]: "yes" };
    await ctx.client.volumeSnapshotContents.update(copy);
    return; // the content's update requeues this snapshot
  }
  if (bound && content.spec.deletionPolicy === "Delete") {
    // The sidecar calls DeleteSnapshot and drops the content's finalizer; the content's deletion requeues us.
    if (!content.metadata.deletionTimestamp) {
      try {
        await ctx.client.volumeSnapshotContents.delete(content.metadata.name ?? "");
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    return;
  }
  if (
    bound &&
    content.spec.deletionPolicy === "Retain" &&
    (content.metadata.finalizers ?? []).includes(VolumeSnapshotContentFinalizer)
  ) {
    // Retain: the content stays, no longer protected by a snapshot.
    const copy = structuredClone(content);
    copy.metadata.finalizers = without(content.metadata.finalizers, VolumeSnapshotContentFinalizer);
    await ctx.client.volumeSnapshotContents.update(copy);
  }
  const copy = structuredClone(snapshot);
  copy.metadata.finalizers = without(
    without(snapshot.metadata.finalizers, VolumeSnapshotAsSourceFinalizer),
    VolumeSnapshotBoundFinalizer,
  );
  try {
    await ctx.client.volumeSnapshots.update(copy);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}
