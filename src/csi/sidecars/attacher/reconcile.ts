// ReconcileVA (external-attacher --reconcile-sync): for drivers that report where volumes are published
// (LIST_VOLUMES + LIST_VOLUMES_PUBLISHED_NODES), compare each of our VolumeAttachments' status.attached with the
// driver's answer and force a fresh attach or detach where they differ. This is what repairs an attachment whose
// status a killed attacher never wrote, or a publish the driver lost, without trusting either side alone.
import { AnnVolumeAttachmentNodeID } from "../../../api/wellknown.js";
import { nodeIdOf } from "./attach.js";
import type { AttacherContext } from "./context.js";

/** volume ID → node IDs it is published to, following ListVolumes' pages. */
export async function publishedVolumes(ctx: AttacherContext): Promise<Map<string, Set<string>>> {
  const published = new Map<string, Set<string>>();
  let token = "";
  do {
    const page = await ctx.csi.controller.ListVolumes(
      { starting_token: token },
      { timeoutMs: ctx.timeoutMs, signal: ctx.signal },
    );
    for (const entry of page.entries) {
      const id = entry.volume?.volume_id;
      if (id) published.set(id, new Set(entry.status?.published_node_ids ?? []));
    }
    token = page.next_token;
  } while (token);
  return published;
}

/** Returns the names of the attachments it queued for a forced sync. */
export async function reconcileAttachments(ctx: AttacherContext, enqueue: (name: string) => void): Promise<string[]> {
  const published = await publishedVolumes(ctx);
  const forced: string[] = [];
  for (const attachment of ctx.attachments.list()) {
    if (attachment.spec.attacher !== ctx.driverName) continue;
    const volume = ctx.volumes.get(attachment.spec.source.persistentVolumeName ?? "");
    const handle = volume?.spec.csi?.volumeHandle;
    const nodeId =
      nodeIdOf(ctx, attachment.spec.nodeName) ?? attachment.metadata.annotations?.[AnnVolumeAttachmentNodeID];
    if (!handle || !nodeId) continue;
    const found = published.get(handle)?.has(nodeId) ?? false;
    if ((attachment.status?.attached ?? false) === found) continue;
    const name = attachment.metadata.name ?? "";
    ctx.log("VolumeAttachment attached status and actual state do not match; forcing a sync", {
      attachment: name,
      attached: attachment.status?.attached ?? false,
      published: found,
    });
    ctx.forceSync.add(name);
    enqueue(name);
    forced.push(name);
  }
  return forced;
}
