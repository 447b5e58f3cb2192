// The attacher's PV finalizer (external-attacher SyncNewOrUpdatedPersistentVolume): it keeps a PV that is being
// deleted around while any VolumeAttachment still names it, because detaching needs the PV's volume handle and
// secrets. Once no attachment refers to a deleted PV, the finalizer goes.
import { attacherFinalizer } from "../../../api/wellknown.js";
import { isNotFound } from "../../../client/index.js";
import type { AttacherContext } from "./context.js";

/** VolumeAttachments by spec.source.persistentVolumeName. */
export const attachmentsByVolume = "attacher-volume";

export async function syncVolume(ctx: AttacherContext, name: string): Promise<void> {
  const volume = ctx.volumes.get(name);
  if (!volume?.metadata.deletionTimestamp) return; // only deleted PVs lose the finalizer
  const finalizer = attacherFinalizer(ctx.driverName);
  const finalizers = volume.metadata.finalizers ?? [];
  if (!finalizers.includes(finalizer)) return;
  if (ctx.attachments.byIndex(attachmentsByVolume, name).length > 0) return; // an attachment's delete brings us back
  const rest = finalizers.filter((f) => f !== finalizer);
  try {
    await ctx.client.persistentVolumes.patch(name, "merge", {
      metadata: { resourceVersion: volume.metadata.resourceVersion, finalizers: rest.length ? rest : null },
    });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}
