// The hostpath Controller service: volumes are directories, snapshots are tarballs, all on this one node. Which
// RPCs it serves, and where each lives: volumes.ts (create, delete, validate, expand), publish.ts, list.ts
// (list, get, capacity), snapshots.ts.
import type { ControllerService } from "../../server.js";
import { controllerCapabilities } from "../core/capabilities.js";
import { bindService } from "../core/rpc.js";
import { hostpathCapabilities } from "./capabilities.js";
import type { HostpathContext } from "./context.js";
import { controllerGetVolume, getCapacity, listVolumes } from "./list.js";
import { controllerPublishVolume, controllerUnpublishVolume } from "./publish.js";
import { createSnapshot, deleteSnapshot, listSnapshots } from "./snapshots.js";
import { controllerExpandVolume, createVolume, deleteVolume, validateVolumeCapabilities } from "./volumes.js";

export const controllerService = (ctx: HostpathContext): Partial<ControllerService> =>
  bindService<HostpathContext, ControllerService>(ctx, {
    ControllerGetCapabilities: async () => controllerCapabilities(hostpathCapabilities),
    CreateVolume: createVolume,
    DeleteVolume: deleteVolume,
    ControllerPublishVolume: controllerPublishVolume,
    ControllerUnpublishVolume: controllerUnpublishVolume,
    ValidateVolumeCapabilities: validateVolumeCapabilities,
    ListVolumes: listVolumes,
    GetCapacity: getCapacity,
    ControllerGetVolume: controllerGetVolume,
    ControllerExpandVolume: controllerExpandVolume,
    CreateSnapshot: createSnapshot,
    DeleteSnapshot: deleteSnapshot,
    ListSnapshots: listSnapshots,
  });
