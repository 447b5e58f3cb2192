// ControllerPublish/Unpublish: "attaching" a cloud disk to a node. The attachment is a record in the state dir
// (the node attaches the loop device in NodeStage); what makes it a cloud disk is the rule: one node at a time.
import { Code, CsiError } from "../../errors.js";
import type { ControllerPublishVolumeRequest__Output } from "../../generated/csi/v1/ControllerPublishVolumeRequest.js";
import type { ControllerPublishVolumeResponse } from "../../generated/csi/v1/ControllerPublishVolumeResponse.js";
import type { ControllerUnpublishVolumeRequest__Output } from "../../generated/csi/v1/ControllerUnpublishVolumeRequest.js";
import { backingFileKey, readyVolume, type BlockContext } from "./context.js";
import { parseCapability, required } from "./request.js";
import { isSafeNodeId, isVolumeId } from "./state.js";

export async function controllerPublishVolume(
  ctx: BlockContext,
  request: ControllerPublishVolumeRequest__Output,
): Promise<ControllerPublishVolumeResponse> {
  const volumeId = required(request.volume_id, "volume_id");
  const nodeId = required(request.node_id, "node_id");
  const capability = parseCapability(request.volume_capability, "volume_capability");
  const readonly = request.readonly || capability.readonlyMode;
  return ctx.locks.run([`volume ${volumeId}`], async () => {
    const volume = await readyVolume(ctx, volumeId);
    if (!volume) throw new CsiError(Code.NOT_FOUND, `volume ${JSON.stringify(volumeId)} not found`);
    const node = isSafeNodeId(nodeId) ? await ctx.state.nodes.get(nodeId) : undefined;
    if (!node)
      throw new CsiError(Code.NOT_FOUND, `node ${JSON.stringify(nodeId)} not found: no block driver has registered it`);
    const publishContext = { [backingFileKey]: ctx.state.volumeFile(volumeId) };

    const current = volume.publishedTo;
    if (current && current.nodeId !== nodeId) {
      // What EBS, PD and Azure Disk do for a single-attach disk: refuse until the other node lets go.
      throw new CsiError(
        Code.FAILED_PRECONDITION,
        `volume ${volumeId} is already published to node ${current.nodeId}; a block volume is attached to one node at a time`,
      );
    }
    if (current) {
      if (current.readonly !== readonly) {
        throw new CsiError(
          Code.ALREADY_EXISTS,
          `volume ${volumeId} is already published to node ${nodeId} with readonly=${current.readonly}`,
        );
      }
      return { publish_context: publishContext }; // same call again: same answer
    }
    if (node.maxVolumesPerNode > 0) {
      const attached = (await ctx.state.volumes.list()).filter((v) => v.publishedTo?.nodeId === nodeId).length;
      if (attached >= node.maxVolumesPerNode) {
        throw new CsiError(
          Code.RESOURCE_EXHAUSTED,
          `node ${nodeId} already has ${attached} volumes published, its maximum (max_volumes_per_node)`,
        );
      }
    }
    await ctx.state.volumes.put(volumeId, { ...volume, publishedTo: { nodeId, readonly } });
    ctx.log(`published volume ${volumeId} to node ${nodeId}${readonly ? " (read-only)" : ""}`);
    return { publish_context: publishContext };
  });
}

export async function controllerUnpublishVolume(
  ctx: BlockContext,
  request: ControllerUnpublishVolumeRequest__Output,
): Promise<object> {
  const volumeId = required(request.volume_id, "volume_id");
  return ctx.locks.run([`volume ${volumeId}`], async () => {
    const volume = isVolumeId(volumeId) ? await ctx.state.volumes.get(volumeId) : undefined;
    // A deleted volume is attached nowhere: unpublishing it again succeeds, as csi-sanity's cleanup and the
    // external-attacher (which treats a detached volume as done) expect of a retried call.
    if (!volume) return {};
    // An empty node_id means "from every node" (spec ControllerUnpublishVolume); another node's attachment stays.
    if (!volume.publishedTo || (request.node_id && volume.publishedTo.nodeId !== request.node_id)) return {};
    const { publishedTo: _, ...rest } = volume;
    await ctx.state.volumes.put(volumeId, rest);
    ctx.log(`unpublished volume ${volumeId} from node ${volume.publishedTo.nodeId}`);
    return {};
  });
}
