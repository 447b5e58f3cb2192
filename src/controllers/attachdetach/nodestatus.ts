// Node status.volumesAttached and the detach handshake (upstream reconciler.go, node_status_updater.go and
// operation_generator.go verifyVolumeIsSafeToDetach). The node agent mounts an attach-required volume only after
// it has listed the volume in status.volumesInUse and then found it in status.volumesAttached by a fresh read of
// the Node. So a detach first takes the volume out of volumesAttached (no mount can begin after that), then reads
// the Node afresh and deletes the VolumeAttachment only if volumesInUse does not list it. Whichever write lands
// first, the other side sees it: a volume is never detached under a mount that began in between.
import type { Node, PersistentVolume } from "../../api/core/types.js";
import type { VolumeAttachment } from "../../api/storage/types.js";
import { isNotFound, type Client, type Lister } from "../../client/index.js";
import { uniqueVolumeName } from "../../api/storage/attachmentnames.js";
import { detachStarted } from "./metrics.js";

/** VolumeAttachments by spec.nodeName. */
export const attachmentsByNode = "attachdetach-node";

export interface NodeStatusContext {
  client: Client;
  nodes: Lister<Node>;
  volumes: Lister<PersistentVolume>;
  attachments: Lister<VolumeAttachment>;
  /**
   * The attachments this controller answers for (its actual state of world), by name: those it created, and those
   * found at start-up for a CSI volume it knows. Any other VolumeAttachment (made through the API by someone else,
   * for a volume or node we do not manage) is left alone, as upstream's controller leaves it.
   */
  managed: Set<string>;
  /**
   * UIDs of attachments whose detach began: left out of volumesAttached until the cache shows them deleted (by UID:
   * an attachment made again later under the same name is a new one).
   */
  detaching: Set<string>;
  /** One volumesAttached write (or detach handshake) per node at a time, so none undoes another. */
  nodeLocks: NodeLocks;
}

/** Runs the calls made for one node one after another; calls for different nodes do not wait for each other. */
export class NodeLocks {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(nodeName: string, call: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(nodeName) ?? Promise.resolve();
    const result = previous.then(call, call);
    const tail = result.catch(() => undefined);
    this.tails.set(nodeName, tail);
    void tail.then(() => {
      if (this.tails.get(nodeName) === tail) this.tails.delete(nodeName);
    });
    return result;
  }
}

/** node.status.volumesInUse lists the volume: the node agent still has it mounted (or is mounting it). */
export function inUseOnNode(node: Node | undefined, volume: PersistentVolume): boolean {
  const source = volume.spec.csi;
  if (!node || !source) return false;
  return (node.status?.volumesInUse ?? []).includes(uniqueVolumeName(source.driver, source.volumeHandle));
}

/**
 * Node status.volumesAttached as upstream's node status updater writes it: each volume whose attach finished on
 * that node and whose detach has not begun (devicePath is empty for CSI), sorted by name. A merge patch on /status
 * touches only this field, so it never fights the node agent, which owns volumesInUse and the rest of the status.
 */
export function syncNodeStatus(ctx: NodeStatusContext, nodeName: string): Promise<void> {
  return ctx.nodeLocks.run(nodeName, () => writeVolumesAttached(ctx, nodeName, false));
}

/**
 * Deletes the attachment once that is safe: the volume leaves volumesAttached first, then (with `verify`) a fresh
 * read of the Node must not list it in volumesInUse. False when the node still uses it: the attachment stays and
 * the Node's next update brings the caller back. Without `verify` (a node out of service, or one that did not
 * unmount within maxWaitForUnmount) the attachment goes regardless, as upstream's.
 */
export function detachWhenSafe(
  ctx: NodeStatusContext,
  attachment: VolumeAttachment,
  volume: PersistentVolume | undefined,
  verify: boolean,
): Promise<boolean> {
  const name = attachment.metadata.name ?? "";
  const uid = attachment.metadata.uid ?? "";
  const nodeName = attachment.spec.nodeName;
  ctx.detaching.add(uid);
  return ctx.nodeLocks.run(nodeName, async () => {
    try {
      await writeVolumesAttached(ctx, nodeName, true);
      if (verify && volume && inUseOnNode(await freshNode(ctx.client, nodeName), volume)) {
        ctx.detaching.delete(uid);
        await writeVolumesAttached(ctx, nodeName, true);
        return false;
      }
      await ctx.client.volumeAttachments.delete(name).then(
        () => detachStarted(name),
        (err: unknown) => {
          if (!isNotFound(err)) throw err;
        },
      );
      return true;
    } catch (err) {
      // Not detached: the volume is reported as attached again at the node's next status sync.
      ctx.detaching.delete(uid);
      throw err;
    }
  });
}

async function freshNode(client: Client, nodeName: string): Promise<Node | undefined> {
  try {
    return await client.nodes.get(nodeName);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Writes volumesAttached when it differs from the cached Node (always with `force`: the cache may lag). */
async function writeVolumesAttached(ctx: NodeStatusContext, nodeName: string, force: boolean): Promise<void> {
  const node = ctx.nodes.get(nodeName);
  if (!node) return;
  if (ctx.detaching.size > 0) {
    const live = new Set(ctx.attachments.list().flatMap((a) => (a.metadata.deletionTimestamp ? [] : [a.metadata.uid])));
    for (const uid of ctx.detaching) if (!live.has(uid)) ctx.detaching.delete(uid);
  }
  const attached = ctx.attachments
    .byIndex(attachmentsByNode, nodeName)
    .filter((a) => a.status?.attached && !a.metadata.deletionTimestamp && !ctx.detaching.has(a.metadata.uid ?? ""))
    .filter((a) => ctx.managed.has(a.metadata.name ?? ""))
    .flatMap((attachment) => {
      const volume = ctx.volumes.get(attachment.spec.source.persistentVolumeName ?? "");
      const source = volume?.spec.csi;
      return source ? [{ name: uniqueVolumeName(source.driver, source.volumeHandle), devicePath: "" }] : [];
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const current = node.status?.volumesAttached ?? [];
  const same =
    current.length === attached.length &&
    current.every((v, i) => v.name === attached[i].name && (v.devicePath ?? "") === attached[i].devicePath);
  if (same && !force) return;
  try {
    await ctx.client.nodes.patch(
      nodeName,
      "merge",
      { status: { volumesAttached: attached.length > 0 ? attached : null } },
      { subresource: "status" },
    );
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}
