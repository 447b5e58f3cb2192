// The hostpath volume RPCs: a volume is a directory on this node (made empty, restored from a snapshot's tarball or
// cloned from another volume). Every call is idempotent: a retry after a timeout or a crash finds the finished work
// and returns it. A copied directory is built first and the state record written last (create), or the record
// removed first and the directory after (delete); a directory without a record is garbage that the next start
// removes. An empty directory and its record are written at once, both ways (makeVolume says why that is safe).
import { randomUUID } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import { Code, CsiError, missingField } from "../../errors.js";
import type { CreateVolumeRequest__Output } from "../../generated/csi/v1/CreateVolumeRequest.js";
import type { TopologyRequirement__Output } from "../../generated/csi/v1/TopologyRequirement.js";
import type { Volume } from "../../generated/csi/v1/Volume.js";
import type { VolumeContentSource, VolumeContentSource__Output } from "../../generated/csi/v1/VolumeContentSource.js";
import {
  fitsRange,
  parseCapabilities,
  parseCapability,
  parseCapacityRange,
  requireField,
  type CapacityRange,
} from "../requests.js";
import {
  DEFAULT_VOLUME_SIZE,
  MAX_VOLUME_SIZE,
  TOPOLOGY_KEY,
  nodeTopology,
  refuseBlock,
  usedCapacity,
  usersOf,
  volumeOf,
  type ControllerRpc,
  type HostpathContext,
} from "./context.js";
import type { VolumeRecord } from "./state.js";
import type { ContentSource } from "./storage.js";

const sameMap = (a: Record<string, string>, b: Record<string, string>): boolean =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([k, v]) => b[k] === v);

type Source = { snapshotId: string } | { volumeId: string };

function parseContentSource(source: VolumeContentSource__Output | null): Source | undefined {
  if (!source) return undefined;
  if (source.type === "snapshot") {
    return {
      snapshotId: requireField(source.snapshot?.snapshot_id ?? "", "volume_content_source.snapshot.snapshot_id"),
    };
  }
  if (source.type === "volume") {
    return { volumeId: requireField(source.volume?.volume_id ?? "", "volume_content_source.volume.volume_id") };
  }
  throw new CsiError(Code.INVALID_ARGUMENT, "volume_content_source: set snapshot or volume");
}

const sourceMessage = (source: Source | undefined): VolumeContentSource | null =>
  !source
    ? null
    : "snapshotId" in source
      ? { snapshot: { snapshot_id: source.snapshotId } }
      : { volume: { volume_id: source.volumeId } };

export const volumeMessage = (ctx: HostpathContext, v: VolumeRecord): Volume => ({
  volume_id: v.id,
  capacity_bytes: v.capacityBytes,
  volume_context: {},
  content_source: sourceMessage(v.source),
  accessible_topology: [nodeTopology(ctx)],
});

/** A volume can be made only where this node can serve it: requisite topology must include this node. */
function checkTopology(ctx: HostpathContext, requirement: TopologyRequirement__Output | null): void {
  const requisite = requirement?.requisite ?? [];
  if (requisite.length === 0) return;
  if (!requisite.some((t) => t.segments[TOPOLOGY_KEY] === ctx.nodeId)) {
    throw new CsiError(
      Code.RESOURCE_EXHAUSTED,
      `hostpath volumes can only be created on node ${ctx.nodeId}, which the requisite topology does not include`,
    );
  }
}

/** Same name again: a retry if it asks for what we made, a conflict otherwise (spec: ALREADY_EXISTS). */
function checkSameRequest(
  existing: VolumeRecord,
  name: string,
  range: CapacityRange,
  parameters: Record<string, string>,
  source: Source | undefined,
): void {
  if (!fitsRange(existing.capacityBytes, range)) {
    throw new CsiError(
      Code.ALREADY_EXISTS,
      `volume ${JSON.stringify(name)} already exists with capacity ${existing.capacityBytes} bytes, outside the requested range`,
    );
  }
  if (!sameMap(existing.parameters, parameters)) {
    throw new CsiError(Code.ALREADY_EXISTS, `volume ${JSON.stringify(name)} already exists with different parameters`);
  }
  if (!isDeepStrictEqual(existing.source, source)) {
    throw new CsiError(
      Code.ALREADY_EXISTS,
      `volume ${JSON.stringify(name)} already exists with a different content source`,
    );
  }
}

/** What a new volume is filled from, and how big that is (a restore or clone is never smaller). */
async function contentOf(
  ctx: HostpathContext,
  source: Source | undefined,
): Promise<{ content?: ContentSource; sourceBytes: number }> {
  if (source && "snapshotId" in source) {
    const snapshot = ctx.state.state.snapshots[source.snapshotId];
    if (!snapshot) throw new CsiError(Code.NOT_FOUND, `source snapshot ${source.snapshotId} not found`);
    return { content: { snapshotFile: ctx.storage.snapshotFile(snapshot.id) }, sourceBytes: snapshot.sizeBytes };
  }
  if (source) {
    const sourceVolume = ctx.state.state.volumes[source.volumeId];
    if (!sourceVolume) throw new CsiError(Code.NOT_FOUND, `source volume ${source.volumeId} not found`);
    return {
      content: { volumeDir: await ctx.storage.safeVolumeDir(sourceVolume.id) },
      sourceBytes: sourceVolume.capacityBytes,
    };
  }
  return { sourceBytes: 0 };
}

/** The new volume's size: what was asked (1 GiB by default), grown to its source's, within what is left. */
export function sizeOf(ctx: HostpathContext, range: CapacityRange, sourceBytes: number): number {
  let size = range.requiredBytes || Math.min(DEFAULT_VOLUME_SIZE, range.limitBytes || Infinity);
  if (sourceBytes > size) {
    // A restore or clone can never be smaller than its source.
    if (range.requiredBytes === 0 && (range.limitBytes === 0 || sourceBytes <= range.limitBytes)) size = sourceBytes;
    else {
      throw new CsiError(
        Code.OUT_OF_RANGE,
        `requested capacity ${size} is smaller than the source's ${sourceBytes} bytes`,
      );
    }
  }
  if (ctx.capacity === undefined) {
    // thin: nothing is accounted, only one volume's maximum holds (csi-driver-host-path's words)
    if (size > MAX_VOLUME_SIZE)
      throw new CsiError(Code.OUT_OF_RANGE, `requested capacity ${size} exceeds maximum allowed ${MAX_VOLUME_SIZE}`);
    return size;
  }
  const available = ctx.capacity - usedCapacity(ctx);
  if (size > available) {
    throw new CsiError(
      Code.RESOURCE_EXHAUSTED,
      `not enough capacity: ${size} bytes requested, ${Math.max(0, available)} of ${ctx.capacity} available`,
    );
  }
  return size;
}

async function makeVolume(
  ctx: HostpathContext,
  request: CreateVolumeRequest__Output,
  range: CapacityRange,
  source: Source | undefined,
): Promise<VolumeRecord> {
  const { content, sourceBytes } = await contentOf(ctx, source);
  const size = sizeOf(ctx, range, sourceBytes);
  const id = randomUUID();
  // A copy (restore, clone) is whole before its record says it exists; an empty directory is made beside it below.
  if (content) await ctx.storage.createVolumeDir(id, content);
  const volume: VolumeRecord = {
    id,
    name: request.name,
    seq: ctx.state.takeSeq(),
    capacityBytes: size,
    requiredBytes: range.requiredBytes,
    limitBytes: range.limitBytes,
    parameters: { ...request.parameters },
    ...(source ? { source } : {}),
    createdAt: Date.now(),
    publishedNodes: {},
    staged: {},
    targets: {},
  };
  ctx.state.putVolume(volume);
  if (content) {
    await ctx.state.save({ volume: id });
    return volume;
  }
  // The empty directory and the record are each a wait on the disk, and either may land first: a crash between
  // them leaves a directory without a record (garbage, removed at start) or a record without its empty directory
  // (made again at start: storage.remakeEmptyVolumeDirs). No caller has the id before both are done.
  const [made, saved] = await Promise.allSettled([ctx.storage.createVolumeDir(id), ctx.state.save({ volume: id })]);
  if (made.status === "rejected") {
    // No directory: no volume. The record goes again (if that write fails too, the next start makes the directory).
    ctx.state.removeVolume(id);
    await ctx.state.save({ volume: id }).catch(() => undefined);
    throw made.reason;
  }
  if (saved.status === "rejected") throw saved.reason;
  return volume;
}

export const createVolume: ControllerRpc<"CreateVolume"> = async (ctx, request) => {
  const name = requireField(request.name, "name");
  const capabilities = parseCapabilities(request.volume_capabilities, "volume_capabilities");
  refuseBlock(capabilities, "volume_capabilities");
  const range = parseCapacityRange(request.capacity_range, "capacity_range");
  const source = parseContentSource(request.volume_content_source);
  checkTopology(ctx, request.accessibility_requirements);
  const sourceKey = source && ("snapshotId" in source ? source.snapshotId : source.volumeId);

  return ctx.locks.run([`name:${name}`, sourceKey ?? ""], async () => {
    const existing = ctx.state.volumeNamed(name);
    if (existing) {
      checkSameRequest(existing, name, range, request.parameters, source);
      return { volume: volumeMessage(ctx, existing) };
    }
    return { volume: volumeMessage(ctx, await makeVolume(ctx, request, range, source)) };
  });
};

export const deleteVolume: ControllerRpc<"DeleteVolume"> = async (ctx, request) => {
  const id = requireField(request.volume_id, "volume_id");
  return ctx.locks.run([id], async () => {
    const volume = ctx.state.state.volumes[id];
    if (!volume) return {}; // already gone: deleting is idempotent
    const users = usersOf(volume);
    if (users.length > 0) {
      throw new CsiError(Code.FAILED_PRECONDITION, `volume ${id} is still in use: ${users.join(", ")}`);
    }
    ctx.state.removeVolume(id);
    // The record and an empty directory go at once (see makeVolume for a crash between them); a directory with
    // anything in it goes only after its record, so a crash never leaves a record whose data is half removed.
    const [saved, removed] = await Promise.allSettled([
      ctx.state.save({ volume: id }),
      ctx.storage.removeEmptyVolumeDir(id),
    ]);
    if (saved.status === "rejected") throw saved.reason;
    if (removed.status === "rejected") throw removed.reason;
    if (!removed.value) await ctx.storage.removeVolumeDir(id);
    return {};
  });
};

export const validateVolumeCapabilities: ControllerRpc<"ValidateVolumeCapabilities"> = async (ctx, request) => {
  const id = requireField(request.volume_id, "volume_id");
  const capabilities = parseCapabilities(request.volume_capabilities, "volume_capabilities");
  volumeOf(ctx, id);
  if (capabilities.some((c) => c.accessType === "block")) {
    return { message: "access type block is not supported by the hostpath driver (volumes are directories)" };
  }
  return {
    confirmed: {
      volume_context: request.volume_context,
      volume_capabilities: request.volume_capabilities,
      parameters: request.parameters,
    },
  };
};

export const controllerExpandVolume: ControllerRpc<"ControllerExpandVolume"> = async (ctx, request) => {
  const id = requireField(request.volume_id, "volume_id");
  if (!request.capacity_range) throw missingField("capacity_range");
  const range = parseCapacityRange(request.capacity_range, "capacity_range");
  if (request.volume_capability)
    refuseBlock([parseCapability(request.volume_capability, "volume_capability")], "volume_capability");
  return ctx.locks.run([id], async () => {
    const volume = volumeOf(ctx, id);
    const wanted = range.requiredBytes || range.limitBytes;
    if (range.limitBytes > 0 && range.limitBytes < volume.capacityBytes) {
      throw new CsiError(
        Code.OUT_OF_RANGE,
        `volume ${id} is ${volume.capacityBytes} bytes; it cannot shrink to limit_bytes ${range.limitBytes}`,
      );
    }
    if (wanted > volume.capacityBytes) {
      if (ctx.capacity === undefined && wanted > MAX_VOLUME_SIZE) {
        throw new CsiError(
          Code.OUT_OF_RANGE,
          `requested capacity ${wanted} exceeds maximum allowed ${MAX_VOLUME_SIZE}`,
        );
      }
      const available = ctx.capacity === undefined ? Infinity : ctx.capacity - usedCapacity(ctx);
      if (wanted - volume.capacityBytes > available) {
        throw new CsiError(
          Code.OUT_OF_RANGE,
          `not enough capacity to grow volume ${id} to ${wanted} bytes: ${Math.max(0, available)} bytes available`,
        );
      }
      ctx.state.resizeVolume(volume, wanted);
      await ctx.state.save({ volume: id });
    }
    // The directory needs nothing, but the node step keeps the CO's flow (and its PVC conditions) as for
    // any filesystem volume: ControllerExpand → NodeExpand.
    return { capacity_bytes: volume.capacityBytes, node_expansion_required: true };
  });
};
