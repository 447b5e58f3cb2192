// A deleted content (external-snapshotter sidecar shouldDelete / deleteCSISnapshot). The sidecar acts only when the
// deletion is meant:
//   - a pre-provisioned content no snapshot is bound to (volumeSnapshotRef.uid empty): delete;
//   - a CreateSnapshot possibly still running (…/volumesnapshot-being-created): wait — deleting now could leak the
//     snapshot the driver finishes after we asked it to delete nothing;
//   - the snapshot controller marked it …/volumesnapshot-being-deleted (its snapshot is being deleted): delete.
// Anything else (a content deleted by hand while its snapshot lives) stays Terminating, as upstream.
// Delete policy with a snapshot handle: DeleteSnapshot (with the content's snapshotter secret), then the handle is
// cleared from the status; next pass (or Retain, or no handle) drops the content's finalizer.
import type { VolumeSnapshotContent } from "../../../api/snapshot/types.js";
import {
  AnnVolumeSnapshotBeingCreated,
  AnnVolumeSnapshotBeingDeleted,
  VolumeSnapshotContentFinalizer,
} from "../../../api/wellknown.js";
import { isNotFound } from "../../../client/index.js";
import { grpcErrorText } from "../../errors.js";
import { CredentialsError, credentialsOf } from "./credentials.js";
import type { SnapshotterContext } from "./create.js";

export function shouldDelete(content: VolumeSnapshotContent): boolean {
  if (!content.metadata.deletionTimestamp) return false;
  if (content.spec.source.snapshotHandle && !content.spec.volumeSnapshotRef.uid) return true;
  const annotations = content.metadata.annotations ?? {};
  if (AnnVolumeSnapshotBeingCreated in annotations) return false;
  return AnnVolumeSnapshotBeingDeleted in annotations;
}

/** One step of a content's deletion; the content's update event brings the next. */
export async function deleteContent(ctx: SnapshotterContext, cached: VolumeSnapshotContent): Promise<void> {
  if (!(cached.metadata.finalizers ?? []).includes(VolumeSnapshotContentFinalizer)) return;
  // Read it fresh: a retry queued before our own status write landed in the cache would otherwise see the handle
  // we just cleared and call DeleteSnapshot a second time (harmless, NOT_FOUND is success, but not "once").
  let content: VolumeSnapshotContent;
  try {
    content = await ctx.client.volumeSnapshotContents.get(cached.metadata.name ?? "");
  } catch (err) {
    if (isNotFound(err)) return;
    throw err;
  }
  if (!shouldDelete(content) || !(content.metadata.finalizers ?? []).includes(VolumeSnapshotContentFinalizer)) return;
  const handle = content.status?.snapshotHandle;
  if (content.spec.deletionPolicy === "Delete" && handle) {
    try {
      // NOT_FOUND counts as deleted in CSI's DeleteSnapshot; any other failure is recorded and retried.
      await ctx.csi.controller.DeleteSnapshot(
        { snapshot_id: handle, secrets: await credentialsOf(ctx.client, content) },
        { timeoutMs: ctx.timeoutMs },
      );
    } catch (err) {
      const message = `Failed to delete snapshot: ${err instanceof CredentialsError ? err.message : grpcErrorText(err)}`;
      ctx.recorder.event(content, "Warning", "SnapshotDeleteError", message);
      throw err;
    }
    // clearVolumeContentStatus: the handle goes first, so a crash before the finalizer is dropped never calls
    // DeleteSnapshot on a handle the driver may since have reused.
    const status = { ...(content.status ?? {}), readyToUse: false };
    delete status.snapshotHandle;
    await ctx.client.volumeSnapshotContents.updateStatus({ ...structuredClone(content), status });
    return;
  }
  const copy = structuredClone(content);
  copy.metadata.finalizers = (content.metadata.finalizers ?? []).filter((f) => f !== VolumeSnapshotContentFinalizer);
  try {
    await ctx.client.volumeSnapshotContents.update(copy);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}
