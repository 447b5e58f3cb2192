// syncVolume: the PVs this provisioner made (pv.kubernetes.io/provisioned-by = our driver), as
// sig-storage-lib-external-provisioner's syncVolume with --finalizer: keep external-provisioner's finalizer on
// Delete-policy volumes, and when such a volume is Released, DeleteVolume → delete the PV → drop the finalizer.
// Each step is idempotent and the finalizer goes last, so a crash anywhere leaves a PV that tells the next sync
// to delete again (DeleteVolume of a gone volume succeeds): the driver's volume is never orphaned.
import { grpcErrorText } from "../../errors.js";
import type { PersistentVolume } from "../../../api/core/types.js";
import { volumeClass } from "../../../api/storagerules/class.js";
import {
  AnnDynamicallyProvisioned,
  AnnMigratedTo,
  AnnProvisionerDeletionSecretRefName,
  AnnProvisionerDeletionSecretRefNamespace,
  EventVolumeFailedDelete,
  ProvisionerVolumeFinalizer,
} from "../../../api/wellknown.js";
import { isConflict, isNotFound } from "../../../client/index.js";
import { type ProvisionerContext } from "./context.js";
import { provisionerSecretParams, secretReference } from "./parameters.js";
import { credentials } from "./request.js";

/** isProvisionerForVolume: provisioned by our driver, or a static CSI volume of our driver. */
function isOurs(ctx: ProvisionerContext, volume: PersistentVolume): boolean {
  const annotations = volume.metadata.annotations ?? {};
  if (AnnDynamicallyProvisioned in annotations) {
    return annotations[AnnDynamicallyProvisioned] === ctx.driverName || annotations[AnnMigratedTo] === ctx.driverName;
  }
  return volume.spec.csi?.driver === ctx.driverName;
}

const hasFinalizer = (volume: PersistentVolume): boolean =>
  (volume.metadata.finalizers ?? []).includes(ProvisionerVolumeFinalizer);

export async function syncVolume(ctx: ProvisionerContext, name: string): Promise<void> {
  let volume = ctx.volumes.get(name);
  if (!volume || !isOurs(ctx, volume)) return;
  volume = await handleProtectionFinalizer(ctx, volume);
  if (!shouldDelete(volume)) return;
  await deleteVolumeOperation(ctx, volume);
}

/** Bound Delete-policy volumes carry the finalizer; Retain/Recycle ones do not (the user owns them). */
async function handleProtectionFinalizer(ctx: ProvisionerContext, volume: PersistentVolume): Promise<PersistentVolume> {
  const policy = volume.spec.persistentVolumeReclaimPolicy;
  const has = hasFinalizer(volume);
  let finalizers: string[] | undefined;
  if (policy === "Delete" && !volume.metadata.deletionTimestamp && volume.status?.phase === "Bound" && !has) {
    finalizers = [...(volume.metadata.finalizers ?? []), ProvisionerVolumeFinalizer];
  } else if ((policy === "Retain" || policy === "Recycle") && has) {
    finalizers = (volume.metadata.finalizers ?? []).filter((f) => f !== ProvisionerVolumeFinalizer);
  }
  if (!finalizers) return volume;
  const next = structuredClone(volume) as PersistentVolume;
  next.metadata.finalizers = finalizers;
  try {
    return await ctx.client.persistentVolumes.update(next); // 409 → retried from a fresher cache
  } catch (err) {
    throw new Error(
      `failed to modify finalizers to ${JSON.stringify(finalizers)} on volume ${volume.metadata.name} err: ${grpcErrorText(err)}`,
    );
  }
}

function shouldDelete(volume: PersistentVolume): boolean {
  // The finalizer is gone while the PV is being deleted: the backing volume was already deleted.
  if (!hasFinalizer(volume) && volume.metadata.deletionTimestamp) return false;
  return volume.status?.phase === "Released" && volume.spec.persistentVolumeReclaimPolicy === "Delete";
}

async function deleteVolumeOperation(ctx: ProvisionerContext, volume: PersistentVolume): Promise<void> {
  const name = volume.metadata.name ?? "";
  try {
    await deleteBackingVolume(ctx, volume);
  } catch (err) {
    ctx.recorder.event(volume, "Warning", EventVolumeFailedDelete, grpcErrorText(err));
    throw err;
  }
  // Delete first: with finalizers the PV stays (deletionTimestamp set) until the last one goes.
  try {
    await ctx.client.persistentVolumes.delete(name);
  } catch (err) {
    if (isNotFound(err)) return;
    throw err;
  }
  if (!hasFinalizer(volume)) return;
  // Fresh from the API: the delete just changed it, and pv-protection edits the same list.
  for (;;) {
    let current: PersistentVolume;
    try {
      current = await ctx.client.persistentVolumes.get(name);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    if (!hasFinalizer(current)) return;
    current.metadata.finalizers = (current.metadata.finalizers ?? []).filter((f) => f !== ProvisionerVolumeFinalizer);
    try {
      await ctx.client.persistentVolumes.update(current);
      return;
    } catch (err) {
      if (isNotFound(err)) return;
      if (!isConflict(err)) throw err;
    }
  }
}

/** external-provisioner's Delete: refuses while a VolumeAttachment still names the PV, then DeleteVolume. */
async function deleteBackingVolume(ctx: ProvisionerContext, volume: PersistentVolume): Promise<void> {
  if (!volume.spec.csi) throw new Error("invalid CSI PV");
  const name = volume.metadata.name ?? "";
  const attachment = ctx.volumeAttachments.list().find((va) => va.spec.source.persistentVolumeName === name);
  if (attachment) throw new Error(`persistentvolume ${name} is still attached to node ${attachment.spec.nodeName}`);

  let secrets: Record<string, string> = {};
  const annotations = volume.metadata.annotations ?? {};
  if (AnnProvisionerDeletionSecretRefName in annotations && AnnProvisionerDeletionSecretRefNamespace in annotations) {
    const secretName = annotations[AnnProvisionerDeletionSecretRefName];
    const secretNamespace = annotations[AnnProvisionerDeletionSecretRefNamespace];
    if (secretName && secretNamespace) {
      // A secret deleted meanwhile does not block deletion (upstream logs and goes on).
      secrets = await credentials(ctx, { name: secretName, namespace: secretNamespace }).catch(() => ({}));
    }
  } else if (volume.spec.claimRef) {
    // The volume's class names the secret in its parameters (its class as upstream's GetPersistentVolumeClass
    // reads it: the beta annotation first; no class, no secret).
    const className = volumeClass(volume);
    const storageClass = className ? ctx.classes.get(className) : undefined;
    if (storageClass) {
      const ref = secretReference(provisionerSecretParams, storageClass.parameters ?? {}, volume.metadata.name ?? "", {
        metadata: { name: volume.spec.claimRef.name, namespace: volume.spec.claimRef.namespace },
      });
      if (ref) secrets = await credentials(ctx, ref).catch(() => ({}));
    }
  }
  await ctx.csi.controller.DeleteVolume(
    { volume_id: volume.spec.csi.volumeHandle, secrets },
    { timeoutMs: ctx.timeoutMs },
  );
}
