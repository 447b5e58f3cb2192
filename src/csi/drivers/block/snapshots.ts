// Snapshots: a sparse copy of the volume's backing file, taken with a mounted filesystem frozen, so it holds
// what was written before the call (crash-consistent, like a cloud disk snapshot). Restore and clone copy back.
import { rename } from "node:fs/promises";
import { Code, CsiError } from "../../errors.js";
import type { CreateSnapshotRequest__Output } from "../../generated/csi/v1/CreateSnapshotRequest.js";
import type { CreateSnapshotResponse } from "../../generated/csi/v1/CreateSnapshotResponse.js";
import type { DeleteSnapshotRequest__Output } from "../../generated/csi/v1/DeleteSnapshotRequest.js";
import type { ListSnapshotsRequest__Output } from "../../generated/csi/v1/ListSnapshotsRequest.js";
import type { ListSnapshotsResponse } from "../../generated/csi/v1/ListSnapshotsResponse.js";
import type { Snapshot } from "../../generated/csi/v1/Snapshot.js";
import { copyPointInTime, readyVolume, type BlockContext } from "./context.js";
import { parseMaxEntries, timestampOf } from "../requests.js";
import { required } from "./request.js";
import { removeFile } from "../core/records.js";
import { isSnapshotId, snapshotIdFor, tempFileFor, type SnapshotRecord } from "./state.js";

function snapshotMessage(snapshot: SnapshotRecord): Snapshot {
  return {
    snapshot_id: snapshot.snapshotId,
    source_volume_id: snapshot.sourceVolumeId,
    size_bytes: snapshot.sizeBytes,
    creation_time: timestampOf(Date.parse(snapshot.createdAt)),
    ready_to_use: snapshot.state === "ready",
  };
}

export async function createSnapshot(
  ctx: BlockContext,
  request: CreateSnapshotRequest__Output,
): Promise<CreateSnapshotResponse> {
  const name = required(request.name, "name");
  const sourceVolumeId = required(request.source_volume_id, "source_volume_id");
  const snapshotId = snapshotIdFor(name);
  return ctx.locks.run([`snapshot ${snapshotId}`, `volume ${sourceVolumeId}`], async () => {
    const existing = await ctx.state.snapshots.get(snapshotId);
    if (existing && existing.sourceVolumeId !== sourceVolumeId) {
      throw new CsiError(
        Code.ALREADY_EXISTS,
        `snapshot ${JSON.stringify(name)} already exists for volume ${existing.sourceVolumeId}, not ${sourceVolumeId}`,
      );
    }
    if (existing?.state === "ready") return { snapshot: snapshotMessage(existing) };
    const volume = await readyVolume(ctx, sourceVolumeId);
    if (!volume) throw new CsiError(Code.NOT_FOUND, `source volume ${JSON.stringify(sourceVolumeId)} not found`);
    const record: SnapshotRecord = existing ?? {
      snapshotId,
      name,
      sourceVolumeId,
      sizeBytes: volume.capacityBytes,
      state: "creating",
      createdAt: new Date().toISOString(),
    };
    // Record first (a retry after a crash finishes it), then copy to a temp name and rename: no half snapshots.
    await ctx.state.snapshots.put(snapshotId, record);
    const source = ctx.state.volumeFile(sourceVolumeId);
    const file = ctx.state.snapshotFile(snapshotId);
    const tmp = tempFileFor(file);
    try {
      await copyPointInTime(ctx, source, tmp);
      await rename(tmp, file);
    } catch (err) {
      await removeFile(tmp);
      throw err;
    }
    const ready: SnapshotRecord = { ...record, sizeBytes: volume.capacityBytes, state: "ready" };
    await ctx.state.snapshots.put(snapshotId, ready);
    ctx.log(`created snapshot ${snapshotId} of volume ${sourceVolumeId}`);
    return { snapshot: snapshotMessage(ready) };
  });
}

export async function deleteSnapshot(ctx: BlockContext, request: DeleteSnapshotRequest__Output): Promise<object> {
  const snapshotId = required(request.snapshot_id, "snapshot_id");
  if (!isSnapshotId(snapshotId)) return {}; // not one of ours: nothing to delete (spec: idempotent, OK)
  return ctx.locks.run([`snapshot ${snapshotId}`], async () => {
    // File first, record second: an image without a record is swept at startup; the reverse would be a ghost.
    await removeFile(ctx.state.snapshotFile(snapshotId));
    await ctx.state.snapshots.remove(snapshotId);
    return {};
  });
}

export async function listSnapshots(
  ctx: BlockContext,
  request: ListSnapshotsRequest__Output,
): Promise<ListSnapshotsResponse> {
  parseMaxEntries(request.max_entries);
  let snapshots = (await ctx.state.snapshots.list()).filter((s) => s.state === "ready");
  if (request.snapshot_id) snapshots = snapshots.filter((s) => s.snapshotId === request.snapshot_id);
  if (request.source_volume_id) snapshots = snapshots.filter((s) => s.sourceVolumeId === request.source_volume_id);
  let start = 0;
  if (request.starting_token) {
    if (!isSnapshotId(request.starting_token)) {
      throw new CsiError(
        Code.ABORTED,
        `starting_token ${JSON.stringify(request.starting_token)} is not a token ListSnapshots returned`,
      );
    }
    const index = snapshots.findIndex((s) => s.snapshotId > request.starting_token);
    start = index === -1 ? snapshots.length : index;
  }
  const end = request.max_entries > 0 ? Math.min(snapshots.length, start + request.max_entries) : snapshots.length;
  const page = snapshots.slice(start, end);
  return {
    entries: page.map((s) => ({ snapshot: snapshotMessage(s) })),
    next_token: end < snapshots.length ? page[page.length - 1].snapshotId : "",
  };
}
