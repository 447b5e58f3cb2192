// ControllerPublish/Unpublish for hostpath: nothing to attach (the directory is already on this node), so
// publishing records which node may use the volume, and refuses every node but this one.
import { Code, CsiError } from "../../errors.js";
import { parseCapability, requireField } from "../requests.js";
import { refuseBlock, volumeOf, type ControllerRpc } from "./context.js";

export const controllerPublishVolume: ControllerRpc<"ControllerPublishVolume"> = async (ctx, request) => {
  const id = requireField(request.volume_id, "volume_id");
  const nodeId = requireField(request.node_id, "node_id");
  const capability = parseCapability(request.volume_capability, "volume_capability");
  refuseBlock([capability], "volume_capability");
  return ctx.locks.run([id], async () => {
    const volume = volumeOf(ctx, id);
    if (nodeId !== ctx.nodeId) {
      throw new CsiError(Code.NOT_FOUND, `node ${nodeId} not found: hostpath volumes exist only on node ${ctx.nodeId}`);
    }
    const current = volume.publishedNodes[nodeId];
    if (current) {
      if (current.readonly !== request.readonly) {
        throw new CsiError(
          Code.ALREADY_EXISTS,
          `volume ${id} is already published to node ${nodeId} with readonly=${current.readonly}`,
        );
      }
      return { publish_context: {} };
    }
    if (ctx.maxVolumesPerNode > 0) {
      const attached = Object.values(ctx.state.state.volumes).filter((v) => v.publishedNodes[nodeId]).length;
      if (attached >= ctx.maxVolumesPerNode) {
        throw new CsiError(
          Code.RESOURCE_EXHAUSTED,
          `node ${nodeId} already has ${attached} volumes published, its maximum`,
        );
      }
    }
    volume.publishedNodes[nodeId] = { readonly: request.readonly };
    await ctx.state.save();
    return { publish_context: {} };
  });
};

export const controllerUnpublishVolume: ControllerRpc<"ControllerUnpublishVolume"> = async (ctx, request) => {
  const id = requireField(request.volume_id, "volume_id");
  return ctx.locks.run([id], async () => {
    const volume = ctx.state.state.volumes[id];
    // A volume that no longer exists is published nowhere (spec: assume it is unpublished).
    if (!volume) return {};
    if (request.node_id === "") volume.publishedNodes = {};
    else delete volume.publishedNodes[request.node_id];
    await ctx.state.save();
    return {};
  });
};
