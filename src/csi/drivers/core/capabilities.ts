// What a driver can do, declared once: its Identity service and its Controller/Node GetCapabilities answers are
// all read from one DriverCapabilities, so what a driver advertises cannot drift from one service to another.
import { readFileSync } from "node:fs";
import type { _csi_v1_ControllerServiceCapability_RPC_Type } from "../../generated/csi/v1/ControllerServiceCapability.js";
import type { ControllerGetCapabilitiesResponse } from "../../generated/csi/v1/ControllerGetCapabilitiesResponse.js";
import type { _csi_v1_NodeServiceCapability_RPC_Type } from "../../generated/csi/v1/NodeServiceCapability.js";
import type { NodeGetCapabilitiesResponse } from "../../generated/csi/v1/NodeGetCapabilitiesResponse.js";
import type {
  _csi_v1_PluginCapability_Service_Type,
  _csi_v1_PluginCapability_VolumeExpansion_Type,
} from "../../generated/csi/v1/PluginCapability.js";
import type { IdentityService } from "../../server.js";

type Name<T> = Extract<T, string>;

export interface DriverCapabilities {
  /** GetPluginCapabilities' services (CONTROLLER_SERVICE, VOLUME_ACCESSIBILITY_CONSTRAINTS, …). */
  plugin: readonly Name<_csi_v1_PluginCapability_Service_Type>[];
  /** GetPluginCapabilities' volume_expansion, when the driver can grow volumes. */
  volumeExpansion?: Name<_csi_v1_PluginCapability_VolumeExpansion_Type>;
  /** ControllerGetCapabilities' RPCs. */
  controller: readonly Name<_csi_v1_ControllerServiceCapability_RPC_Type>[];
  /** NodeGetCapabilities' RPCs. */
  node: readonly Name<_csi_v1_NodeServiceCapability_RPC_Type>[];
}

/**
 * What both stowage drivers advertise: plugin services, online expansion, and the whole volume and snapshot
 * lifecycle on the controller and node sides. A driver spreads these into its own declaration and adds its extras.
 */
export const commonCapabilities = {
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
} as const satisfies DriverCapabilities;

// The package version is every driver's vendor_version (read once; four levels up from src/ and dist/ alike).
const vendorVersion: string = (
  JSON.parse(readFileSync(new URL("../../../../package.json", import.meta.url), "utf8")) as { version: string }
).version;

/** The Identity service: who the driver is, what it can do, and that it is ready. */
export function identityService(driverName: string, capabilities: DriverCapabilities): IdentityService {
  const plugin = [
    ...capabilities.plugin.map((type) => ({ service: { type } })),
    ...(capabilities.volumeExpansion ? [{ volume_expansion: { type: capabilities.volumeExpansion } }] : []),
  ];
  return {
    GetPluginInfo: async () => ({ name: driverName, vendor_version: vendorVersion, manifest: {} }),
    GetPluginCapabilities: async () => ({ capabilities: plugin }),
    // Ready as soon as we serve: state is loaded and the start-up checks are done before the socket exists.
    Probe: async () => ({ ready: { value: true } }),
  };
}

export const controllerCapabilities = (capabilities: DriverCapabilities): ControllerGetCapabilitiesResponse => ({
  capabilities: capabilities.controller.map((type) => ({ rpc: { type } })),
});

export const nodeCapabilities = (capabilities: DriverCapabilities): NodeGetCapabilitiesResponse => ({
  capabilities: capabilities.node.map((type) => ({ rpc: { type } })),
});
