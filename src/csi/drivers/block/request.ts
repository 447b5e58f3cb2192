// Parsing CSI requests into what the block driver decides on. Every missing or unusable field becomes
// INVALID_ARGUMENT naming the field, before anything on disk changes.
import { Code, CsiError, missingField } from "../../errors.js";
import {
  fitsRange,
  isReadOnlyMode,
  parseCapability as parseSharedCapability,
  parseCapacityRange,
  requireField,
  type Capability as SharedCapability,
} from "../requests.js";
import type { CapacityRange__Output } from "../../generated/csi/v1/CapacityRange.js";
import type { VolumeCapability__Output } from "../../generated/csi/v1/VolumeCapability.js";
import { defaultFsType, isKnownFsType, knownFsTypes, type FsType } from "./filesystem.js";

/** The StorageClass parameter external-provisioner passes through for the filesystem type. */
export const fsTypeParameter = "csi.storage.k8s.io/fstype";

export const MiB = 1 << 20;
export const GiB = 1 << 30;
/** Smallest volume we make: ext4 with a journal needs a few MiB to be useful. */
export const minimumVolumeBytes = 16 * MiB;
/** What CreateVolume makes when the caller gives no capacity range, like a cloud's default disk size. */
export const defaultVolumeBytes = 1 * GiB;

/** A volume capability this driver can serve: the shared parse (drivers/requests.ts) plus the block rules. */
export interface Capability extends SharedCapability {
  /** SINGLE_NODE_READER_ONLY: published read-only whatever `readonly` says. */
  readonlyMode: boolean;
}

// A loop device lives on one machine and is attached to one node at a time: single-node modes only, as a cloud disk.
const singleNodeModes = new Set(["SINGLE_NODE_WRITER", "SINGLE_NODE_READER_ONLY", "SINGLE_NODE_SINGLE_WRITER"]);

/** A required string field (empty means missing): INVALID_ARGUMENT naming it. */
export const required = requireField;

/** Why a capability cannot be served, or undefined when it can (ValidateVolumeCapabilities reports the why). */
export function unsupportedReason(capability: VolumeCapability__Output): string | undefined {
  const mode = capability.access_mode?.mode ?? "UNKNOWN";
  if (!singleNodeModes.has(mode)) {
    return `access mode ${mode} is not supported: a block volume is attached to one node at a time (use ${[...singleNodeModes].join(", ")})`;
  }
  if (capability.access_type === "mount") {
    const fsType = capability.mount?.fs_type ?? "";
    if (fsType && !isKnownFsType(fsType)) {
      return `fsType ${JSON.stringify(fsType)} is not supported (use one of ${knownFsTypes.join(", ")})`;
    }
    return undefined;
  }
  if (capability.access_type === "block") return undefined;
  return "access_type must be mount or block";
}

export function parseCapability(capability: VolumeCapability__Output | null, field: string): Capability {
  const parsed = parseSharedCapability(capability, field); // missing parts → INVALID_ARGUMENT naming them
  const reason = unsupportedReason(capability!);
  if (reason) throw new CsiError(Code.INVALID_ARGUMENT, `${field}: ${reason}`);
  return { ...parsed, readonlyMode: isReadOnlyMode(parsed.mode) };
}

export function parseCapabilities(capabilities: VolumeCapability__Output[], field: string): Capability[] {
  if (capabilities.length === 0) throw missingField(field);
  return capabilities.map((c, i) => parseCapability(c, `${field}[${i}]`));
}

/** The StorageClass's fsType parameter, validated; empty when unset. */
export function fsTypeFromParameters(parameters: Record<string, string>): FsType | "" {
  for (const [key, value] of Object.entries(parameters)) {
    if (key.toLowerCase() !== fsTypeParameter && key.toLowerCase() !== "fstype") continue;
    if (!value) return "";
    if (!isKnownFsType(value)) {
      throw new CsiError(
        Code.INVALID_ARGUMENT,
        `parameters[${key}]: fsType ${JSON.stringify(value)} is not supported (use one of ${knownFsTypes.join(", ")})`,
      );
    }
    return value;
  }
  return "";
}

/**
 * The StorageClass parameter that makes a volume a network disk: no node topology (so the PV has no node affinity)
 * and attachable to whichever node ControllerPublishVolume names, one at a time. Without it a volume belongs to the
 * node it was created for, as a zonal disk belongs to its zone.
 */
export const movableParameter = "movable";

/** Whether the parameters ask for a movable volume; INVALID_ARGUMENT for anything but "true" or "false". */
export function isMovable(parameters: Record<string, string>): boolean {
  const value = parameters[movableParameter];
  if (value === undefined || value === "false") return false;
  if (value === "true") return true;
  throw new CsiError(
    Code.INVALID_ARGUMENT,
    `parameters[${movableParameter}]: ${JSON.stringify(value)} is not "true" or "false"`,
  );
}

/** Which filesystem to put on a fresh volume: the capability's, else the volume's parameter, else ext4. */
export function chooseFsType(capabilityFsType: string, volumeFsType: string): FsType {
  const chosen = capabilityFsType || volumeFsType || defaultFsType;
  if (!isKnownFsType(chosen))
    throw new CsiError(Code.INVALID_ARGUMENT, `fsType ${JSON.stringify(chosen)} is not supported`);
  return chosen;
}

const roundUp = (n: number, unit: number) => Math.ceil(n / unit) * unit;

/**
 * The size to allocate for a capacity range: at least required_bytes (and our minimum), rounded up to whole MiB,
 * never above limit_bytes; OUT_OF_RANGE when no such size exists or it exceeds what the driver can ever hold.
 */
export function sizeFor(range: CapacityRange__Output | null, fallback: number, maximum: number): number {
  const { requiredBytes, limitBytes } = parseCapacityRange(range, "capacity_range");
  let size = requiredBytes > 0 ? requiredBytes : limitBytes > 0 ? Math.min(fallback, limitBytes) : fallback;
  size = roundUp(Math.max(size, minimumVolumeBytes), MiB);
  if (limitBytes > 0 && size > limitBytes) {
    throw new CsiError(
      Code.OUT_OF_RANGE,
      `capacity_range: limit_bytes ${limitBytes} is below the smallest volume this driver makes (${size} bytes, whole MiB, at least ${minimumVolumeBytes})`,
    );
  }
  if (size > maximum) {
    throw new CsiError(
      Code.OUT_OF_RANGE,
      `capacity_range: ${size} bytes is more than this driver's total capacity ${maximum}`,
    );
  }
  return size;
}

/** Whether an existing volume's size satisfies a (re-)requested range: ALREADY_EXISTS when it does not. */
export function sizeSatisfies(size: number, range: CapacityRange__Output | null): boolean {
  return fitsRange(size, parseCapacityRange(range, "capacity_range"));
}
