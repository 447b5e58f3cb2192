// What the attacher tells ControllerPublishVolume about a PV: its VolumeCapability (access type and mode), as the
// external-attacher's GetVolumeCapabilities and csi-lib-utils' ToCSIAccessMode compute it.
import type { PersistentVolumeAccessMode, PersistentVolumeSpec } from "../../../api/core/types.js";
import type {
  VolumeCapability,
  _csi_v1_VolumeCapability_AccessMode_Mode as AccessModeName,
} from "../../generated/csi/v1/VolumeCapability.js";

/** A PV whose access modes CSI cannot express; the message is upstream's, saved as the attach error. */
export class AccessModeError extends Error {
  override name = "AccessModeError";
}

type Mode = Exclude<AccessModeName, "UNKNOWN" | number>;

/**
 * ToCSIAccessMode. ReadWriteOncePod maps to SINGLE_NODE_SINGLE_WRITER only for drivers with the
 * SINGLE_NODE_MULTI_WRITER capability (the others know only SINGLE_NODE_WRITER), and likewise ReadWriteOnce to
 * SINGLE_NODE_MULTI_WRITER; ReadWriteMany wins over anything else; ReadOnlyMany with ReadWriteOnce is refused.
 */
export function csiAccessMode(modes: PersistentVolumeAccessMode[], singleNodeMultiWriter: boolean): Mode {
  const has = new Set(modes);
  if (has.has("ReadWriteOncePod")) {
    if (has.size > 1) throw new AccessModeError("CSI doesn't support ReadWriteOncePod with other access modes");
    return singleNodeMultiWriter ? "SINGLE_NODE_SINGLE_WRITER" : "SINGLE_NODE_WRITER";
  }
  if (has.has("ReadWriteMany")) return "MULTI_NODE_MULTI_WRITER";
  if (has.has("ReadOnlyMany") && has.has("ReadWriteOnce")) {
    throw new AccessModeError("CSI doesn't support ReadOnlyMany and ReadWriteOnce simultaneously");
  }
  if (has.has("ReadOnlyMany")) return "MULTI_NODE_READER_ONLY";
  if (has.has("ReadWriteOnce")) return singleNodeMultiWriter ? "SINGLE_NODE_MULTI_WRITER" : "SINGLE_NODE_WRITER";
  throw new AccessModeError(`unsupported AccessMode combination: [${modes.join(" ")}]`);
}

/**
 * GetVolumeCapabilities: volumeMode Block → a block capability; otherwise mount with the PV's fsType (or the
 * attacher's default) and its mountOptions as mount flags.
 */
export function volumeCapability(
  spec: PersistentVolumeSpec,
  singleNodeMultiWriter: boolean,
  defaultFsType = "",
): VolumeCapability {
  const mode = csiAccessMode(spec.accessModes ?? [], singleNodeMultiWriter);
  if (spec.volumeMode === "Block") return { block: {}, access_mode: { mode } };
  return {
    mount: { fs_type: spec.csi?.fsType || defaultFsType, mount_flags: spec.mountOptions ?? [] },
    access_mode: { mode },
  };
}
