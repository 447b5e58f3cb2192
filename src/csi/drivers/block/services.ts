// The block driver's Controller and Node services: which RPCs it serves and the capabilities it advertises
// (its Identity service is the common one, from the same declaration).
import type { ControllerService, NodeService } from "../../server.js";
import {
  commonCapabilities,
  controllerCapabilities,
  nodeCapabilities,
  type DriverCapabilities,
} from "../core/capabilities.js";
import { bindService } from "../core/rpc.js";
import { topologyKey, type BlockContext } from "./context.js";
import { nodeExpandVolume } from "./expand.js";
import {
  nodeGetVolumeStats,
  nodePublishVolume,
  nodeStageVolume,
  nodeUnpublishVolume,
  nodeUnstageVolume,
} from "./node.js";
import { controllerPublishVolume, controllerUnpublishVolume } from "./publish.js";
import { createSnapshot, deleteSnapshot, listSnapshots } from "./snapshots.js";
import {
  controllerExpandVolume,
  controllerGetVolume,
  createVolume,
  deleteVolume,
  getCapacity,
  listVolumes,
  validateVolumeCapabilities,
} from "./volumes.js";

/**
 * What the block driver advertises: Identity and both GetCapabilities answer from this one declaration. It does
 * not claim SINGLE_NODE_MULTI_WRITER, so ReadWriteOnce and ReadWriteOncePod reach it as SINGLE_NODE_WRITER.
 */
export const blockCapabilities: DriverCapabilities = commonCapabilities;

export const controllerService = (ctx: BlockContext): Partial<ControllerService> =>
  bindService<BlockContext, ControllerService>(ctx, {
    ControllerGetCapabilities: async () => controllerCapabilities(blockCapabilities),
    CreateVolume: createVolume,
    DeleteVolume: deleteVolume,
    ControllerPublishVolume: controllerPublishVolume,
    ControllerUnpublishVolume: controllerUnpublishVolume,
    ValidateVolumeCapabilities: validateVolumeCapabilities,
    ListVolumes: listVolumes,
    GetCapacity: getCapacity,
    CreateSnapshot: createSnapshot,
    DeleteSnapshot: deleteSnapshot,
    ListSnapshots: listSnapshots,
    ControllerExpandVolume: controllerExpandVolume,
    ControllerGetVolume: controllerGetVolume,
  });

export const nodeService = (ctx: BlockContext): Partial<NodeService> =>
  bindService<BlockContext, NodeService>(ctx, {
    NodeGetCapabilities: async () => nodeCapabilities(blockCapabilities),
    NodeGetInfo: async () => ({
      node_id: ctx.nodeId,
      max_volumes_per_node: ctx.maxVolumesPerNode,
      accessible_topology: { segments: { [topologyKey]: ctx.nodeId } },
    }),
    NodeStageVolume: nodeStageVolume,
    NodeUnstageVolume: nodeUnstageVolume,
    NodePublishVolume: nodePublishVolume,
    NodeUnpublishVolume: nodeUnpublishVolume,
    NodeGetVolumeStats: nodeGetVolumeStats,
    NodeExpandVolume: nodeExpandVolume,
  });
