// The block driver's three CSI services: which RPCs it serves and the capabilities it advertises.
import { readFileSync } from "node:fs";
import type { ControllerService, IdentityService, NodeService } from "../../server.js";
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

// The package version is the driver's vendor_version (read once; four levels up from src/ and dist/ alike).
const vendorVersion = (
  JSON.parse(readFileSync(new URL("../../../../package.json", import.meta.url), "utf8")) as { version: string }
).version;

const controllerRpcs = [
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
] as const;

const nodeRpcs = ["STAGE_UNSTAGE_VOLUME", "GET_VOLUME_STATS", "EXPAND_VOLUME", "VOLUME_CONDITION"] as const;

export function identityService(ctx: BlockContext): IdentityService {
  return {
    GetPluginInfo: async () => ({ name: ctx.driverName, vendor_version: vendorVersion }),
    GetPluginCapabilities: async () => ({
      capabilities: [
        { service: { type: "CONTROLLER_SERVICE" } },
        { service: { type: "VOLUME_ACCESSIBILITY_CONSTRAINTS" } },
        { volume_expansion: { type: "ONLINE" } },
      ],
    }),
    // Ready as soon as we serve: the state dir is open and the startup checks are done before the socket exists.
    Probe: async () => ({ ready: { value: true } }),
  };
}

export function controllerService(ctx: BlockContext): Partial<ControllerService> {
  return {
    ControllerGetCapabilities: async () => ({ capabilities: controllerRpcs.map((type) => ({ rpc: { type } })) }),
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
    NodeGetCapabilities: async () => ({ capabilities: nodeRpcs.map((type) => ({ rpc: { type } })) }),
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
