// What the hostpath driver advertises, in one place: Identity, ControllerGetCapabilities and NodeGetCapabilities
// all answer from this declaration.
import type { DriverCapabilities } from "../core/capabilities.js";

export const hostpathCapabilities: DriverCapabilities = {
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
    // ReadWriteOncePod maps to SINGLE_NODE_SINGLE_WRITER and ReadWriteOnce to SINGLE_NODE_MULTI_WRITER only when
    // the driver says it understands them; a directory serves both.
    "SINGLE_NODE_MULTI_WRITER",
  ],
  node: ["STAGE_UNSTAGE_VOLUME", "GET_VOLUME_STATS", "EXPAND_VOLUME", "VOLUME_CONDITION", "SINGLE_NODE_MULTI_WRITER"],
};
