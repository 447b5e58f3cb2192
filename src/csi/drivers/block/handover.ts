// A volume moving between nodes on one kernel. Every "node" of this cloud shares the host's kernel, so a node that
// died (or was fenced off) while it had a volume leaves its loop device and mounts behind, where `losetup -j` finds
// them. A real cloud cuts a dead VM off its disk when the disk is force-detached; here the node the volume is now
// published to does that cut itself before it attaches: it unmounts what the old node left (never lazily, so the
// old filesystem is flushed and closed before ours opens) and detaches the old loop device. Reusing the old device
// instead would silently share one filesystem with whatever the old node still runs; a second device of our own
// next to a still-mounted old one would be two filesystems writing one file. A mount that is still busy means the
// old node's processes still run: NodeStage refuses (FAILED_PRECONDITION) until that node has fenced itself.
// The attachment record decides who owns a device: the node the volume is published to. A node that lost the
// volume unmounts only its own paths and leaves devices alone (the device name may already be the new owner's).
import { Code, CsiError } from "../../errors.js";
import type { BlockContext } from "./context.js";
import { run } from "./exec.js";
import { loopDevicesFor } from "./loop.js";
import { mountsOfDevice } from "./mount.js";
import type { StagedRecord } from "./state.js";

const releaseWaitMs = 5_000;

/** Is `device` the one this node staged (mounted at its own staging path, or not mounted yet)? */
async function isOwnDevice(device: string, own: StagedRecord | undefined): Promise<boolean> {
  if (!own || own.device !== device) return false;
  const mounts = await mountsOfDevice(device);
  return mounts.length === 0 || mounts.some((m) => m.target === own.stagingPath);
}

/**
 * Before this node attaches a volume published to it: tears down every loop device of its backing file that another
 * node left on this kernel. Throws FAILED_PRECONDITION, having attached nothing, while one is still in use.
 */
export async function releaseLeftovers(ctx: BlockContext, volumeId: string, backingFile: string): Promise<void> {
  const own = await ctx.state.staged.get(volumeId);
  for (const device of await loopDevicesFor(backingFile)) {
    if (await isOwnDevice(device, own)) continue;
    const mounts = await mountsOfDevice(device);
    // Deepest first: bind mounts inside a pod's tree before the staging mount they came from.
    for (const mount of [...mounts].sort((a, b) => b.target.length - a.target.length)) {
      try {
        await run("umount", [mount.target]);
      } catch (err) {
        throw new CsiError(
          Code.FAILED_PRECONDITION,
          `volume ${volumeId} is still mounted at ${mount.target} (${device}) by a node that no longer has it, ` +
            `and its processes still use it; that node must stop them (fence) before node ${ctx.nodeId} can attach it: ` +
            `${err instanceof Error ? err.message : String(err)}`,
        );
      }
    }
    await run("losetup", ["--detach", device]).catch(() => undefined); // gone meanwhile is what we want
    const deadline = Date.now() + releaseWaitMs;
    while ((await loopDevicesFor(backingFile)).includes(device)) {
      if (Date.now() > deadline) {
        throw new CsiError(
          Code.FAILED_PRECONDITION,
          `volume ${volumeId}'s old loop device ${device} is still held open by a node that no longer has it; ` +
            `that node must release it before node ${ctx.nodeId} can attach the volume`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    ctx.log(
      `volume ${volumeId}: released ${device} left by another node${mounts.length ? ` (unmounted ${mounts.map((m) => m.target).join(", ")})` : ""}`,
    );
  }
}

/** Whether the volume is now published to another node: this node lost it (a failover moved it). */
export async function isPublishedElsewhere(ctx: BlockContext, volumeId: string): Promise<boolean> {
  const volume = await ctx.state.volumes.get(volumeId);
  return volume?.publishedTo !== undefined && volume.publishedTo.nodeId !== ctx.nodeId;
}
