// The hostpath Controller service: volumes are directories, snapshots are tarballs, all on this one node. Which
// RPCs it serves, and where each lives: volumes.ts (create, delete, validate, expand), publish.ts, list.ts
// (list, get, capacity), snapshots.ts.
import type { ControllerService } from "../../server.js";
import { controllerCapabilities } from "../core/capabilities.js";
import { hostpathCapabilities } from "./capabilities.js";
import type { HostpathContext } from "./context.js";
import { controllerGetVolume, getCapacity, listVolumes } from "./list.js";
import { controllerPublishVolume, controllerUnpublishVolume } from "./publish.js";
import { createSnapshot, deleteSnapshot, listSnapshots } from "./snapshots.js";
import { controllerExpandVolume, createVolume, deleteVolume, validateVolumeCapabilities } from "./volumes.js";

export function controllerService(ctx: HostpathContext): Partial<ControllerService> {
  return {
    ControllerGetCapabilities: async () => controllerCapabilities(hostpathCapabilities),
    CreateVolume: (request) => createVolume(ctx, request),
    DeleteVolume: (request) => deleteVolume(ctx, request),
    ControllerPublishVolume: (request) => controllerPublishVolume(ctx, request),
    ControllerUnpublishVolume: (request) => controllerUnpublishVolume(ctx, request),
    ValidateVolumeCapabilities: (request) => validateVolumeCapabilities(ctx, request),
    ListVolumes: (request) => listVolumes(ctx, request),
    GetCapacity: (request) => getCapacity(ctx, request),
    ControllerGetVolume: (request) => controllerGetVolume(ctx, request),
    ControllerExpandVolume: (request) => controllerExpandVolume(ctx, request),
    CreateSnapshot: (request) => createSnapshot(ctx, request),
    DeleteSnapshot: (request) => deleteSnapshot(ctx, request),
    ListSnapshots: (request) => listSnapshots(ctx, request),
  };
}
