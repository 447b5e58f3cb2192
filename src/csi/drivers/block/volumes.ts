// Controller volume RPCs: a volume is a sparse backing file in the state dir, like a cloud disk in a cloud.
import { rename, stat, truncate, writeFile } from "node:fs/promises";
import { Code, CsiError } from "../../errors.js";
import type { ControllerExpandVolumeRequest__Output } from "../../generated/csi/v1/ControllerExpandVolumeRequest.js";
import type { ControllerExpandVolumeResponse } from "../../generated/csi/v1/ControllerExpandVolumeResponse.js";
import type { ControllerGetVolumeRequest__Output } from "../../generated/csi/v1/ControllerGetVolumeRequest.js";
import type { ControllerGetVolumeResponse } from "../../generated/csi/v1/ControllerGetVolumeResponse.js";
import type { CreateVolumeRequest__Output } from "../../generated/csi/v1/CreateVolumeRequest.js";
import type { CreateVolumeResponse } from "../../generated/csi/v1/CreateVolumeResponse.js";
import type { DeleteVolumeRequest__Output } from "../../generated/csi/v1/DeleteVolumeRequest.js";
import type { GetCapacityRequest__Output } from "../../generated/csi/v1/GetCapacityRequest.js";
import type { GetCapacityResponse } from "../../generated/csi/v1/GetCapacityResponse.js";
import type { ListVolumesRequest__Output } from "../../generated/csi/v1/ListVolumesRequest.js";
import type { ListVolumesResponse } from "../../generated/csi/v1/ListVolumesResponse.js";
import type { ValidateVolumeCapabilitiesRequest__Output } from "../../generated/csi/v1/ValidateVolumeCapabilitiesRequest.js";
import type { ValidateVolumeCapabilitiesResponse } from "../../generated/csi/v1/ValidateVolumeCapabilitiesResponse.js";
import type { Volume } from "../../generated/csi/v1/Volume.js";
import type { VolumeCondition } from "../../generated/csi/v1/VolumeCondition.js";
import { parseMaxEntries } from "../requests.js";
import {
  copyPointInTime,
  crashPoint,
  fsTypeContextKey,
  readyVolume,
  topologyKey,
  type BlockContext,
} from "./context.js";
import { loopDevicesFor } from "./loop.js";
import {
  defaultVolumeBytes,
  fsTypeFromParameters,
  isMovable,
  minimumVolumeBytes,
  parseCapabilities,
  required,
  sizeFor,
  sizeSatisfies,
  unsupportedReason,
} from "./request.js";
import { isSafeNodeId, isSnapshotId, isVolumeId, tempFileFor, volumeIdFor, type VolumeRecord } from "./state.js";
import { removeFile } from "../core/records.js";

const sameMap = (a: Record<string, string>, b: Record<string, string>) =>
  JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());

export function volumeMessage(volume: VolumeRecord): Volume {
  const fsType = fsTypeFromParameters(volume.parameters);
  return {
    volume_id: volume.volumeId,
    capacity_bytes: volume.capacityBytes,
    volume_context: fsType ? { [fsTypeContextKey]: fsType } : {},
    content_source: volume.contentSource
      ? volume.contentSource.type === "snapshot"
        ? { snapshot: { snapshot_id: volume.contentSource.id } }
        : { volume: { volume_id: volume.contentSource.id } }
      : null,
    accessible_topology: volume.topology ? [{ segments: volume.topology }] : [],
  };
}

async function provisionedBytes(ctx: BlockContext): Promise<number> {
  return (await ctx.state.volumes.list()).reduce((sum, v) => sum + v.capacityBytes, 0);
}

/** The node segment the caller asked for (preferred first, then requisite), if it names one of ours. */
function chosenTopology(request: CreateVolumeRequest__Output): Record<string, string> | undefined {
  const requirement = request.accessibility_requirements;
  if (!requirement) return undefined;
  for (const topology of [...requirement.preferred, ...requirement.requisite]) {
    const node = topology.segments[topologyKey];
    if (node) return { [topologyKey]: node };
  }
  return undefined;
}

type ContentSourceRef = NonNullable<VolumeRecord["contentSource"]>;

function parseContentSource(request: CreateVolumeRequest__Output): ContentSourceRef | undefined {
  const source = request.volume_content_source;
  if (source?.type === "snapshot") {
    return {
      type: "snapshot",
      id: required(source.snapshot?.snapshot_id ?? "", "volume_content_source.snapshot.snapshot_id"),
    };
  }
  if (source?.type === "volume") {
    return { type: "volume", id: required(source.volume?.volume_id ?? "", "volume_content_source.volume.volume_id") };
  }
  return undefined;
}

/** Same name again: the same volume if the request agrees with it, else ALREADY_EXISTS (spec CreateVolume errors). */
function checkSameRequest(
  existing: VolumeRecord,
  request: CreateVolumeRequest__Output,
  contentSource: ContentSourceRef | undefined,
): void {
  const agrees =
    existing.name === request.name &&
    sizeSatisfies(existing.capacityBytes, request.capacity_range) &&
    sameMap(existing.parameters, request.parameters) &&
    JSON.stringify(existing.contentSource ?? null) === JSON.stringify(contentSource ?? null);
  if (!agrees) {
    throw new CsiError(
      Code.ALREADY_EXISTS,
      `volume ${JSON.stringify(request.name)} already exists (${existing.volumeId}, ${existing.capacityBytes} bytes) with different capacity, parameters or content source`,
    );
  }
}

/** The backing file a restore or clone copies, and its size: the smallest the new volume may be. */
async function sourceOf(
  ctx: BlockContext,
  contentSource: ContentSourceRef | undefined,
): Promise<{ sourceFile?: string; sourceBytes: number }> {
  if (contentSource?.type === "snapshot") {
    const snapshot = isSnapshotId(contentSource.id) ? await ctx.state.snapshots.get(contentSource.id) : undefined;
    if (!snapshot || snapshot.state !== "ready") {
      throw new CsiError(Code.NOT_FOUND, `snapshot ${JSON.stringify(contentSource.id)} not found`);
    }
    return { sourceFile: ctx.state.snapshotFile(snapshot.snapshotId), sourceBytes: snapshot.sizeBytes };
  }
  if (contentSource?.type === "volume") {
    const origin = await readyVolume(ctx, contentSource.id);
    if (!origin) throw new CsiError(Code.NOT_FOUND, `source volume ${JSON.stringify(contentSource.id)} not found`);
    return { sourceFile: ctx.state.volumeFile(origin.volumeId), sourceBytes: origin.capacityBytes };
  }
  return { sourceBytes: 0 };
}

/** Builds the backing file (sparse, or a copy of the source) under a temp name and renames it into place. */
async function allocate(ctx: BlockContext, record: VolumeRecord, sourceFile: string | undefined): Promise<void> {
  const file = ctx.state.volumeFile(record.volumeId);
  const tmp = tempFileFor(file);
  try {
    if (sourceFile) {
      await copyPointInTime(ctx, sourceFile, tmp);
    }
    // truncate() makes a sparse file (or grows a copy): no blocks are used until the filesystem writes them.
    else await writeFile(tmp, "");
    await truncate(tmp, record.capacityBytes);
    crashPoint(ctx, "create-after-allocate");
    await rename(tmp, file);
  } catch (err) {
    await removeFile(tmp);
    throw err;
  }
}

export async function createVolume(
  ctx: BlockContext,
  request: CreateVolumeRequest__Output,
): Promise<CreateVolumeResponse> {
  const name = required(request.name, "name");
  parseCapabilities(request.volume_capabilities, "volume_capabilities");
  fsTypeFromParameters(request.parameters); // INVALID_ARGUMENT before anything is made
  const movable = isMovable(request.parameters);
  const contentSource = parseContentSource(request);
  const volumeId = volumeIdFor(name);

  return ctx.locks.run(
    [`volume ${volumeId}`, contentSource ? `${contentSource.type} ${contentSource.id}` : ""],
    async () => {
      const existing = await ctx.state.volumes.get(volumeId);
      const resuming = existing?.state === "creating";
      if (existing && existing.state !== "deleting") {
        checkSameRequest(existing, request, contentSource);
        if (existing.state === "ready") return { volume: volumeMessage(existing) };
        // "creating": a previous attempt died part way; fall through and finish it with the recorded size.
      }
      // The source decides the smallest size: a restore or clone is never smaller than what it copies.
      const { sourceFile, sourceBytes } = await sourceOf(ctx, contentSource);
      const size = sizeFor(request.capacity_range, Math.max(defaultVolumeBytes, sourceBytes), ctx.capacityBytes);
      if (size < sourceBytes) {
        throw new CsiError(
          Code.OUT_OF_RANGE,
          `capacity_range: ${size} bytes is smaller than the ${contentSource?.type} it is made from (${sourceBytes} bytes)`,
        );
      }

      if (!resuming) {
        const provisioned = await provisionedBytes(ctx);
        if (provisioned + size > ctx.capacityBytes) {
          throw new CsiError(
            Code.RESOURCE_EXHAUSTED,
            `not enough capacity for ${size} bytes: ${ctx.capacityBytes - provisioned} of ${ctx.capacityBytes} bytes left`,
          );
        }
      }

      // A movable volume is reachable from every node of this cloud: no topology, so the PV has no node affinity.
      const topology = movable ? undefined : chosenTopology(request);
      const record: VolumeRecord =
        existing && resuming
          ? existing
          : {
              volumeId,
              name,
              capacityBytes: size,
              parameters: { ...request.parameters },
              ...(contentSource ? { contentSource } : {}),
              ...(topology ? { topology } : {}),
              state: "creating",
              createdAt: new Date().toISOString(),
            };
      // Record first, file second: a crash in between leaves a "creating" record that a retry completes, and an
      // image is never on disk without a record naming it (startup removes such orphans).
      await ctx.state.volumes.put(volumeId, record);
      crashPoint(ctx, "create-after-record");
      await allocate(ctx, record, sourceFile);
      const ready: VolumeRecord = { ...record, state: "ready" };
      await ctx.state.volumes.put(volumeId, ready);
      ctx.log(`created volume ${volumeId} (${JSON.stringify(name)}, ${record.capacityBytes} bytes)`);
      return { volume: volumeMessage(ready) };
    },
  );
}

export async function deleteVolume(ctx: BlockContext, request: DeleteVolumeRequest__Output): Promise<object> {
  const volumeId = required(request.volume_id, "volume_id");
  return ctx.locks.run([`volume ${volumeId}`], async () => {
    const volume = isVolumeId(volumeId) ? await ctx.state.volumes.get(volumeId) : undefined;
    if (!volume) return {}; // never existed or already gone: deleting is idempotent (spec DeleteVolume)
    if (volume.publishedTo) {
      throw new CsiError(
        Code.FAILED_PRECONDITION,
        `volume ${volumeId} is still published to node ${volume.publishedTo.nodeId}; ControllerUnpublishVolume it first`,
      );
    }
    const file = ctx.state.volumeFile(volumeId);
    const devices = await loopDevicesFor(file);
    if (devices.length > 0) {
      throw new CsiError(Code.FAILED_PRECONDITION, `volume ${volumeId} is in use: attached as ${devices.join(", ")}`);
    }
    // "deleting" first, so a crash part way never shows a volume without its file as if it were healthy.
    await ctx.state.volumes.put(volumeId, { ...volume, state: "deleting" });
    await removeFile(file);
    await ctx.state.volumes.remove(volumeId);
    ctx.log(`deleted volume ${volumeId}`);
    return {};
  });
}

async function volumeCondition(ctx: BlockContext, volume: VolumeRecord): Promise<VolumeCondition> {
  const info = await stat(ctx.state.volumeFile(volume.volumeId)).catch(() => undefined);
  if (!info) return { abnormal: true, message: "the volume's backing file is missing" };
  if (info.size < volume.capacityBytes) {
    return {
      abnormal: true,
      message: `the backing file is ${info.size} bytes, smaller than the volume's ${volume.capacityBytes}`,
    };
  }
  return { abnormal: false, message: "volume is healthy" };
}

export async function listVolumes(
  ctx: BlockContext,
  request: ListVolumesRequest__Output,
): Promise<ListVolumesResponse> {
  parseMaxEntries(request.max_entries);
  const volumes = (await ctx.state.volumes.list()).filter((v) => v.state === "ready");
  // The token is the id after which the next page starts: stable under deletes between pages.
  let start = 0;
  if (request.starting_token) {
    if (!isVolumeId(request.starting_token)) {
      throw new CsiError(
        Code.ABORTED,
        `starting_token ${JSON.stringify(request.starting_token)} is not a token ListVolumes returned`,
      );
    }
    const index = volumes.findIndex((v) => v.volumeId > request.starting_token);
    start = index === -1 ? volumes.length : index;
  }
  const end = request.max_entries > 0 ? Math.min(volumes.length, start + request.max_entries) : volumes.length;
  const page = volumes.slice(start, end);
  const entries = [];
  for (const volume of page) {
    entries.push({
      volume: volumeMessage(volume),
      status: {
        published_node_ids: volume.publishedTo ? [volume.publishedTo.nodeId] : [],
        volume_condition: await volumeCondition(ctx, volume),
      },
    });
  }
  return { entries, next_token: end < volumes.length ? page[page.length - 1].volumeId : "" };
}

export async function controllerGetVolume(
  ctx: BlockContext,
  request: ControllerGetVolumeRequest__Output,
): Promise<ControllerGetVolumeResponse> {
  const volumeId = required(request.volume_id, "volume_id");
  const volume = await readyVolume(ctx, volumeId);
  if (!volume) throw new CsiError(Code.NOT_FOUND, `volume ${JSON.stringify(volumeId)} not found`);
  return {
    volume: volumeMessage(volume),
    status: {
      published_node_ids: volume.publishedTo ? [volume.publishedTo.nodeId] : [],
      volume_condition: await volumeCondition(ctx, volume),
    },
  };
}

export async function validateVolumeCapabilities(
  ctx: BlockContext,
  request: ValidateVolumeCapabilitiesRequest__Output,
): Promise<ValidateVolumeCapabilitiesResponse> {
  const volumeId = required(request.volume_id, "volume_id");
  if (request.volume_capabilities.length === 0)
    throw new CsiError(Code.INVALID_ARGUMENT, "volume_capabilities missing in request");
  const volume = await readyVolume(ctx, volumeId);
  if (!volume) throw new CsiError(Code.NOT_FOUND, `volume ${JSON.stringify(volumeId)} not found`);
  for (const capability of request.volume_capabilities) {
    if (!capability.access_mode)
      throw new CsiError(Code.INVALID_ARGUMENT, "volume_capabilities[].access_mode missing in request");
    const reason = unsupportedReason(capability);
    if (reason) return { message: reason }; // not confirmed: the spec's way to say "valid request, unsupported"
  }
  return {
    confirmed: {
      volume_context: request.volume_context,
      volume_capabilities: request.volume_capabilities,
      parameters: request.parameters,
    },
  };
}

export async function getCapacity(
  ctx: BlockContext,
  request: GetCapacityRequest__Output,
): Promise<GetCapacityResponse> {
  for (const capability of request.volume_capabilities) {
    // A capability we cannot serve has no capacity for it (spec GetCapacity: "0 if not supported").
    if (unsupportedReason(capability)) return { available_capacity: 0 };
  }
  // Capacity per topology segment (external-provisioner's capacity tracking asks per node): a node that never
  // registered with this cloud can reach none of it.
  const node = request.accessible_topology?.segments[topologyKey];
  if (node !== undefined && !(isSafeNodeId(node) && (await ctx.state.nodes.get(node))))
    return { available_capacity: 0 };
  const available = Math.max(0, ctx.capacityBytes - (await provisionedBytes(ctx)));
  return {
    available_capacity: available,
    maximum_volume_size: { value: available },
    minimum_volume_size: { value: minimumVolumeBytes },
  };
}

export async function controllerExpandVolume(
  ctx: BlockContext,
  request: ControllerExpandVolumeRequest__Output,
): Promise<ControllerExpandVolumeResponse> {
  const volumeId = required(request.volume_id, "volume_id");
  if (!request.capacity_range) throw new CsiError(Code.INVALID_ARGUMENT, "capacity_range missing in request");
  return ctx.locks.run([`volume ${volumeId}`], async () => {
    const volume = await readyVolume(ctx, volumeId);
    if (!volume) throw new CsiError(Code.NOT_FOUND, `volume ${JSON.stringify(volumeId)} not found`);
    const wanted = sizeFor(request.capacity_range, volume.capacityBytes, ctx.capacityBytes);
    // Never shrink: a smaller request on a bigger volume is already satisfied (spec ControllerExpandVolume).
    const size = Math.max(wanted, volume.capacityBytes);
    if (size > volume.capacityBytes) {
      const growth = size - volume.capacityBytes;
      const available = ctx.capacityBytes - (await provisionedBytes(ctx));
      if (growth > available) {
        throw new CsiError(
          Code.RESOURCE_EXHAUSTED,
          `not enough capacity to grow by ${growth} bytes: ${available} bytes left`,
        );
      }
      // File first, record second: a retry after a crash sees the old size in the record and grows again (a no-op).
      await truncate(ctx.state.volumeFile(volumeId), size);
      await ctx.state.volumes.put(volumeId, { ...volume, capacityBytes: size });
      ctx.log(`expanded volume ${volumeId} to ${size} bytes`);
    }
    // The node must make the loop device see the new size (losetup -c) and grow the filesystem.
    return { capacity_bytes: size, node_expansion_required: true };
  });
}
