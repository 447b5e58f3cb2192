// Parsing of CSI request fields shared by stowage's drivers: each helper checks one field once, where the request
// enters the driver, and throws the spec's code with a message naming the field. Inside, drivers trust the values.
import { isAbsolute } from "node:path";
import { Code, CsiError, missingField } from "../errors.js";
import type { CapacityRange__Output } from "../generated/csi/v1/CapacityRange.js";
import type { Timestamp } from "../generated/google/protobuf/Timestamp.js";
import type {
  VolumeCapability__Output,
  _csi_v1_VolumeCapability_AccessMode_Mode__Output as AccessModeName,
} from "../generated/csi/v1/VolumeCapability.js";

export type AccessMode = Exclude<AccessModeName, "UNKNOWN">;

/** A VolumeCapability with both of its required parts present. */
export interface Capability {
  accessType: "mount" | "block";
  mode: AccessMode;
  fsType: string;
  mountFlags: string[];
  mountGroup: string;
}

/** A required string field: empty means missing (proto3 cannot tell unset from ""). */
export function requireField(value: string, field: string): string {
  if (value === "") throw missingField(field);
  return value;
}

export function parseCapability(capability: VolumeCapability__Output | null | undefined, field: string): Capability {
  if (!capability) throw missingField(field);
  const accessType = capability.access_type;
  if (accessType !== "mount" && accessType !== "block") {
    throw new CsiError(Code.INVALID_ARGUMENT, `${field}.access_type missing: set mount or block`);
  }
  const mode = capability.access_mode?.mode ?? "UNKNOWN";
  if (mode === "UNKNOWN") throw new CsiError(Code.INVALID_ARGUMENT, `${field}.access_mode missing or UNKNOWN`);
  const mount = capability.mount;
  return {
    accessType,
    mode,
    fsType: mount?.fs_type ?? "",
    mountFlags: mount?.mount_flags ?? [],
    mountGroup: mount?.volume_mount_group ?? "",
  };
}

export function parseCapabilities(capabilities: VolumeCapability__Output[], field: string): Capability[] {
  if (capabilities.length === 0) throw missingField(field);
  return capabilities.map((c, i) => parseCapability(c, `${field}[${i}]`));
}

/** Modes that only ever read: a publish with one of these is read-only whatever `readonly` says. */
export const isReadOnlyMode = (mode: AccessMode): boolean =>
  mode === "SINGLE_NODE_READER_ONLY" || mode === "MULTI_NODE_READER_ONLY";

export interface CapacityRange {
  /** 0: no lower bound. */
  requiredBytes: number;
  /** 0: no upper bound. */
  limitBytes: number;
}

/** A capacity range that can be satisfied at all; OUT_OF_RANGE otherwise (spec: "Unsupported capacity_range"). */
export function parseCapacityRange(range: CapacityRange__Output | null | undefined, field: string): CapacityRange {
  const requiredBytes = range?.required_bytes ?? 0;
  const limitBytes = range?.limit_bytes ?? 0;
  if (requiredBytes < 0 || limitBytes < 0) {
    throw new CsiError(Code.OUT_OF_RANGE, `${field}: required_bytes and limit_bytes must not be negative`);
  }
  if (limitBytes > 0 && requiredBytes > limitBytes) {
    throw new CsiError(
      Code.OUT_OF_RANGE,
      `${field}: required_bytes ${requiredBytes} is more than limit_bytes ${limitBytes}`,
    );
  }
  return { requiredBytes, limitBytes };
}

/** Whether `bytes` lies inside the range (a retry of CreateVolume must land in the range it first asked for). */
export const fitsRange = (bytes: number, range: CapacityRange): boolean =>
  bytes >= range.requiredBytes && (range.limitBytes === 0 || bytes <= range.limitBytes);

/** A node path the CO hands us (target, staging, volume path): absolute, and no `..` that could climb out. */
export function parseNodePath(path: string, field: string): string {
  requireField(path, field);
  if (!isAbsolute(path)) throw new CsiError(Code.INVALID_ARGUMENT, `${field} ${JSON.stringify(path)} must be absolute`);
  if (path.split("/").includes("..")) {
    throw new CsiError(Code.INVALID_ARGUMENT, `${field} ${JSON.stringify(path)} must not contain ".."`);
  }
  return path.length > 1 ? path.replace(/\/+$/, "") : path;
}

/** google.protobuf.Timestamp for a time in milliseconds. */
export function timestampOf(ms: number): Timestamp {
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 };
}

/** Parses a ListVolumes/ListSnapshots max_entries. */
export function parseMaxEntries(maxEntries: number): number {
  if (maxEntries < 0) throw new CsiError(Code.INVALID_ARGUMENT, `max_entries must not be negative, got ${maxEntries}`);
  return maxEntries;
}
