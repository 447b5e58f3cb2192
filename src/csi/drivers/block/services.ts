// The block driver's Controller and Node services: which RPCs it serves and the capabilities it advertises
// (its Identity service is the common one, from the same declaration).
import type { ControllerService, NodeService } from "../../server.js";
import { controllerCapabilities, nodeCapabilities, type DriverCapabilities } from "../core/capabilities.js";
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

/** What the block driver advertises: Identity and both GetCapabilities answer from this one declaration. */
export const blockCapabilities: DriverCapabilities = {
  plugin: ["CONTROLLER_SERVICE", "VOLUME_ACCESSIBILITY_CONSTRAINTS"],
  volumeExpansion: "ONLINE",
  controller: [
    "CREATE_DELETE_VOLUME",
    "PUBLISH_UNPUBLISH_VOLUME",
    "LIST_VOLUMES",
    "GET_CAPACITY",
    "CREATE_DELETE_SNAPSHOT",
    "LIST_SNAPSHOTS",
    "CLONE_VOLUME",
    "PUBLISH_READONLY",
    "EXPAND_VOLUME",
    "LIST_VOLUMES_PUBLISHED_NODES",
    "VOLUME_CONDITION",
    "GET_VOLUME",
  ],
  node: ["STAGE_UNSTAGE_VOLUME", "GET_VOLUME_STATS", "EXPAND_VOLUME", "VOLUME_CONDITION"],
};

export function controllerService(ctx: BlockContext): Partial<ControllerService> {
  return {
    ControllerGetCapabilities: async () => controllerCapabilities(blockCapabilities),
    CreateVolume: (request) => createVolume(ctx, request),
    DeleteVolume: (request) => deleteVolume(ctx, request),
    ControllerPublishVolume: (request) => controllerPublishVolume(ctx, request),
    ControllerUnpublishVolume: (request) => controllerUnpublishVolume(ctx, request),
    ValidateVolumeCapabilities: (request) => validateVolumeCapabilities(ctx, request),
    ListVolumes: (request) => listVolumes(ctx, request),
    GetCapacity: (request) => getCapacity(ctx, request),
    CreateSnapshot: (request) => createSnapshot(ctx, request),
    DeleteSnapshot: (request) => deleteSnapshot(ctx, request),
    ListSnapshots: (request) => listSnapshots(ctx, request),
    ControllerExpandVolume: (request) => controllerExpandVolume(ctx, request),
    ControllerGetVolume: (request) => controllerGetVolume(ctx, request),
  };
}

export function nodeService(ctx: BlockContext): Partial<NodeService> {
  return {
    NodeGetCapabilities: async () => nodeCapabilities(blockCapabilities),
    NodeGetInfo: async () => ({
      node_id: ctx.nodeId,
      max_volumes_per_node: ctx.maxVolumesPerNode,
      accessible_topology: { segments: { [topologyKey]: ctx.nodeId } },
    }),
    NodeStageVolume: (request) => nodeStageVolume(ctx, request),
    NodeUnstageVolume: (request) => nodeUnstageVolume(ctx, request),
    NodePublishVolume: (request) => nodePublishVolume(ctx, request),
    NodeUnpublishVolume: (request) => nodeUnpublishVolume(ctx, request),
    NodeGetVolumeStats: (request) => nodeGetVolumeStats(ctx, request),
    NodeExpandVolume: (request) => nodeExpandVolume(ctx, request),
  };
}
