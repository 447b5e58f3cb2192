// One VolumeAttachment, one step (external-attacher's csiHandler): not deleted → attach (finalizer and node-id
// annotation first, then ControllerPublishVolume, then status.attached + attachmentMetadata); deleted → detach
// (ControllerUnpublishVolume, then status cleared and our finalizer removed, which lets the apiserver finish the
// delete). Failures are saved in status.attachError/detachError and the queue retries with backoff.
//
// Crash safety: the finalizer and node ID are saved before the driver is called, so a VolumeAttachment can never
// disappear while the driver may hold a publish, and detach always knows the node ID it published to. Publish
// and unpublish are idempotent, so repeating a step a killed attacher may or may not have finished is safe.
import { grpcErrorText } from "../../errors.js";
import type { PersistentVolume } from "../../../api/core/types.js";
import type { VolumeAttachment } from "../../../api/storage/types.js";
import { AnnCSINodeID, AnnVolumeAttachmentNodeID, attacherFinalizer } from "../../../api/wellknown.js";
import { isNotFound } from "../../../client/index.js";
import { volumeCapability } from "./capability.js";
import { AttachPreconditionError, type AttacherContext } from "./context.js";

/** Syncs the VolumeAttachment named `name` if it is ours. Throws to be retried. */
export async function syncAttachment(ctx: AttacherContext, name: string): Promise<void> {
  const attachment = ctx.attachments.get(name);
  if (!attachment || attachment.spec.attacher !== ctx.driverName) return;
  if (attachment.metadata.deletionTimestamp) await syncDetach(ctx, attachment);
  else await syncAttach(ctx, attachment);
}

async function syncAttach(ctx: AttacherContext, attachment: VolumeAttachment): Promise<void> {
  const name = attachment.metadata.name ?? "";
  const forced = ctx.forceSync.delete(name);
  if (attachment.status?.attached && !forced) return;
  let current = attachment;
  let publishContext: Record<string, string>;
  try {
    const step = await csiAttach(ctx, attachment);
    current = step.attachment;
    publishContext = step.publishContext;
  } catch (err) {
    await saveError(ctx, current, "attachError", err);
    throw err;
  }
  await patchStatus(ctx, current, {
    attached: true,
    attachmentMetadata: replaceMap(current.status?.attachmentMetadata, publishContext),
    attachError: null,
  });
}

async function csiAttach(
  ctx: AttacherContext,
  attachment: VolumeAttachment,
): Promise<{ attachment: VolumeAttachment; publishContext: Record<string, string> }> {
  // Check as much as possible before the finalizer goes on: it would block the attachment's deletion.
  let volume = sourceVolume(ctx, attachment);
  if (volume.metadata.deletionTimestamp) {
    throw new AttachPreconditionError(
      `PersistentVolume ${JSON.stringify(volume.metadata.name)} is marked for deletion`,
    );
  }
  volume = await addVolumeFinalizer(ctx, volume);
  const source = csiSourceOf(volume);
  const readonly = ctx.supportsPublishReadOnly ? (source.readOnly ?? false) : false;
  const capability = volumeCapability(volume.spec, ctx.supportsSingleNodeMultiWriter, ctx.defaultFsType);
  const secrets = await publishSecrets(ctx, volume);
  const nodeId = nodeIdOf(ctx, attachment.spec.nodeName);
  if (!nodeId) throw nodeIdError(ctx, attachment.spec.nodeName);

  const finalizer = attacherFinalizer(ctx.driverName);
  const finalizers = attachment.metadata.finalizers ?? [];
  let current = attachment;
  if (!finalizers.includes(finalizer) || attachment.metadata.annotations?.[AnnVolumeAttachmentNodeID] !== nodeId) {
    current = await ctx.client.volumeAttachments.patch(attachment.metadata.name ?? "", "merge", {
      // No resourceVersion: only attachers put finalizers on VolumeAttachments, so the cache's list is the list.
      metadata: {
        finalizers: finalizers.includes(finalizer) ? finalizers : [...finalizers, finalizer],
        annotations: { [AnnVolumeAttachmentNodeID]: nodeId },
      },
    });
  }
  const response = await ctx.csi.controller.ControllerPublishVolume(
    {
      volume_id: source.volumeHandle,
      node_id: nodeId,
      volume_capability: capability,
      readonly,
      secrets,
      volume_context: source.volumeAttributes ?? {},
    },
    { timeoutMs: ctx.timeoutMs, signal: ctx.signal },
  );
  ctx.log("attached", { attachment: current.metadata.name, volume: source.volumeHandle, node: nodeId });
  return { attachment: current, publishContext: response.publish_context ?? {} };
}

async function syncDetach(ctx: AttacherContext, attachment: VolumeAttachment): Promise<void> {
  const name = attachment.metadata.name ?? "";
  const forced = ctx.forceSync.delete(name);
  const finalizer = attacherFinalizer(ctx.driverName);
  // No finalizer: we never got as far as calling the driver, or we already detached.
  if (!forced && !(attachment.metadata.finalizers ?? []).includes(finalizer)) return;
  try {
    const volume = sourceVolume(ctx, attachment);
    const source = csiSourceOf(volume);
    const secrets = await publishSecrets(ctx, volume);
    // The node ID the attach saved wins over a CSINode re-registered since: unpublish what was published.
    const nodeId =
      attachment.metadata.annotations?.[AnnVolumeAttachmentNodeID] ?? nodeIdOf(ctx, attachment.spec.nodeName);
    if (!nodeId) throw nodeIdError(ctx, attachment.spec.nodeName);
    await ctx.csi.controller.ControllerUnpublishVolume(
      { volume_id: source.volumeHandle, node_id: nodeId, secrets },
      { timeoutMs: ctx.timeoutMs, signal: ctx.signal },
    );
    ctx.log("detached", { attachment: name, volume: source.volumeHandle, node: nodeId });
  } catch (err) {
    await saveError(ctx, attachment, "detachError", err);
    throw err;
  }
  // markAsDetached: the status says so first (a crash here just detaches again), then the finalizer goes and
  // the apiserver completes the deletion.
  const detached = await patchStatus(ctx, attachment, {
    attached: false,
    attachmentMetadata: null,
    detachError: null,
  });
  if (!detached) return;
  const finalizers = (detached.metadata.finalizers ?? []).filter((f) => f !== finalizer);
  try {
    await ctx.client.volumeAttachments.patch(name, "merge", {
      metadata: {
        resourceVersion: detached.metadata.resourceVersion,
        finalizers: finalizers.length ? finalizers : null,
      },
    });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

function sourceVolume(ctx: AttacherContext, attachment: VolumeAttachment): PersistentVolume {
  const volumeName = attachment.spec.source.persistentVolumeName;
  if (!volumeName) {
    // Inline (migrated in-tree) volumes are not something stowage creates.
    throw new AttachPreconditionError("VolumeAttachment.spec.source.persistentVolumeName is empty");
  }
  const volume = ctx.volumes.get(volumeName);
  if (!volume) throw new AttachPreconditionError(`persistentvolume ${JSON.stringify(volumeName)} not found`);
  return volume;
}

function csiSourceOf(volume: PersistentVolume) {
  if (!volume.spec.csi) throw new AttachPreconditionError("pv spec contained non-csi source that was not migrated");
  return volume.spec.csi;
}

/** The PV keeps our finalizer while any attachment of it exists (volumes.ts removes it), so detach can read it. */
async function addVolumeFinalizer(ctx: AttacherContext, cached: PersistentVolume): Promise<PersistentVolume> {
  const finalizer = attacherFinalizer(ctx.driverName);
  if ((cached.metadata.finalizers ?? []).includes(finalizer)) return cached;
  try {
    // Others (pv-protection, the provisioner) put finalizers on PVs too: patch the live list, with its
    // resourceVersion as a precondition, so a finalizer added a moment ago is never dropped.
    const volume = await ctx.client.persistentVolumes.get(cached.metadata.name ?? "");
    const finalizers = volume.metadata.finalizers ?? [];
    if (finalizers.includes(finalizer)) return volume;
    return await ctx.client.persistentVolumes.patch(volume.metadata.name ?? "", "merge", {
      metadata: { resourceVersion: volume.metadata.resourceVersion, finalizers: [...finalizers, finalizer] },
    });
  } catch (err) {
    throw new AttachPreconditionError(`could not add PersistentVolume finalizer: ${grpcErrorText(err)}`);
  }
}

/**
 * getNodeID: the driver's node ID from the node's CSINode entry; failing that (stowage addition, as older
 * attachers did) the kubelet-style `csi.volume.kubernetes.io/nodeid` annotation on the Node (JSON: driver → ID).
 */
export function nodeIdOf(ctx: AttacherContext, nodeName: string): string | undefined {
  const entry = ctx.csiNodes.get(nodeName)?.spec.drivers.find((d) => d.name === ctx.driverName);
  if (entry?.nodeID) return entry.nodeID;
  const annotation = ctx.nodes.get(nodeName)?.metadata.annotations?.[AnnCSINodeID];
  if (!annotation) return undefined;
  try {
    const ids: unknown = JSON.parse(annotation);
    if (ids && typeof ids === "object" && ctx.driverName in ids) {
      const id = (ids as Record<string, unknown>)[ctx.driverName];
      if (typeof id === "string" && id) return id;
    }
  } catch {
    // a malformed annotation names no node ID
  }
  return undefined;
}

function nodeIdError(ctx: AttacherContext, nodeName: string): AttachPreconditionError {
  if (ctx.csiNodes.get(nodeName)) {
    return new AttachPreconditionError(`CSINode ${nodeName} does not contain driver ${ctx.driverName}`);
  }
  return new AttachPreconditionError(`csinode.storage.k8s.io ${JSON.stringify(nodeName)} not found`);
}

/** controllerPublishSecretRef's data, as strings (upstream getCredentialsFromPV). */
async function publishSecrets(ctx: AttacherContext, volume: PersistentVolume): Promise<Record<string, string>> {
  const ref = volume.spec.csi?.controllerPublishSecretRef;
  if (!ref?.name) return {};
  try {
    const secret = await ctx.client.secrets.get(ref.namespace ?? "", ref.name);
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(secret.data ?? {})) out[key] = Buffer.from(value, "base64").toString();
    for (const [key, value] of Object.entries(secret.stringData ?? {})) out[key] = value;
    return out;
  } catch (err) {
    throw new AttachPreconditionError(
      `failed to load secret "${ref.namespace ?? ""}/${ref.name}": ${grpcErrorText(err)}`,
    );
  }
}

type StatusPatch = {
  attached: boolean;
  attachmentMetadata: Record<string, string | null> | null;
  attachError?: null;
  detachError?: null;
};

/** A merge patch of status (subresource): touches only what changed. Undefined when the attachment is gone. */
async function patchStatus(
  ctx: AttacherContext,
  attachment: VolumeAttachment,
  status: StatusPatch,
): Promise<VolumeAttachment | undefined> {
  try {
    return await ctx.client.volumeAttachments.patch(
      attachment.metadata.name ?? "",
      "merge",
      { status },
      {
        subresource: "status",
      },
    );
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** saveAttachError/saveDetachError: the error and when, for `kubectl describe volumeattachment`. */
async function saveError(
  ctx: AttacherContext,
  attachment: VolumeAttachment,
  field: "attachError" | "detachError",
  err: unknown,
): Promise<void> {
  // Stopping cancels in-flight calls: that is not the driver's answer, so it is not the volume's error either.
  if (ctx.signal.aborted) return;
  ctx.log(`${field === "attachError" ? "attach" : "detach"} failed; will retry`, {
    attachment: attachment.metadata.name,
    err: grpcErrorText(err),
  });
  try {
    await ctx.client.volumeAttachments.patch(
      attachment.metadata.name ?? "",
      "merge",
      {
        status: {
          // attached is a required field (Go's bool is never omitted): a first status says false explicitly.
          ...(attachment.status?.attached === undefined ? { attached: false } : {}),
          [field]: { time: new Date().toISOString().replace(/\.\d+Z$/, "Z"), message: grpcErrorText(err) },
        },
      },
      { subresource: "status" },
    );
  } catch (saveErr) {
    // Only logged: the original error is what the retry is about.
    if (!isNotFound(saveErr)) ctx.log("could not save error to VolumeAttachment", { err: grpcErrorText(saveErr) });
  }
}

/** A merge-patch value that turns `old` into exactly `next` (keys only in `old` become null). */
function replaceMap(
  old: Record<string, string> | undefined,
  next: Record<string, string>,
): Record<string, string | null> | null {
  if (Object.keys(next).length === 0 && !old) return null;
  const out: Record<string, string | null> = { ...next };
  for (const key of Object.keys(old ?? {})) if (!(key in next)) out[key] = null;
  return out;
}
