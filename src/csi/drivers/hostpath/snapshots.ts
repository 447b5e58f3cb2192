// The hostpath snapshot RPCs: a snapshot is a tarball of the volume's directory, cut under the source volume's lock
// and recorded once complete (a tarball without a record is garbage the next start removes).
import { randomUUID } from "node:crypto";
import { Code, CsiError } from "../../errors.js";
import type { Snapshot } from "../../generated/csi/v1/Snapshot.js";
import { parseMaxEntries, requireField, timestampOf } from "../requests.js";
import { volumeOf, type ControllerRpc } from "./context.js";
import { page } from "./list.js";
import type { SnapshotRecord } from "./state.js";

const snapshotMessage = (s: SnapshotRecord): Snapshot => ({
  snapshot_id: s.id,
  source_volume_id: s.sourceVolumeId,
  size_bytes: s.sizeBytes,
  creation_time: timestampOf(s.createdAt),
  ready_to_use: true,
});

export const createSnapshot: ControllerRpc<"CreateSnapshot"> = async (ctx, request) => {
  const sourceId = requireField(request.source_volume_id, "source_volume_id");
  const name = requireField(request.name, "name");
  const snapshots = ctx.state.state.snapshots;
  return ctx.locks.run([`snapshot-name:${name}`, sourceId], async () => {
    const existing = Object.values(snapshots).find((s) => s.name === name);
    if (existing) {
      if (existing.sourceVolumeId !== sourceId) {
        throw new CsiError(
          Code.ALREADY_EXISTS,
          `snapshot ${JSON.stringify(name)} already exists for a different source volume (${existing.sourceVolumeId})`,
        );
      }
      return { snapshot: snapshotMessage(existing) };
    }
    const volume = volumeOf(ctx, sourceId);
    const id = randomUUID();
    await ctx.storage.cutSnapshot(volume.id, id);
    const snapshot: SnapshotRecord = {
      id,
      name,
      seq: ctx.state.takeSeq(),
      sourceVolumeId: volume.id,
      sizeBytes: volume.capacityBytes,
      createdAt: Date.now(),
    };
    snapshots[id] = snapshot;
    await ctx.state.save();
    return { snapshot: snapshotMessage(snapshot) };
  });
};

export const deleteSnapshot: ControllerRpc<"DeleteSnapshot"> = async (ctx, request) => {
  const id = requireField(request.snapshot_id, "snapshot_id");
  return ctx.locks.run([id], async () => {
    if (!ctx.state.state.snapshots[id]) return {};
    delete ctx.state.state.snapshots[id];
    await ctx.state.save();
    await ctx.storage.removeSnapshot(id);
    return {};
  });
};

export const listSnapshots: ControllerRpc<"ListSnapshots"> = async (ctx, request) => {
  const maxEntries = parseMaxEntries(request.max_entries);
  const all = Object.values(ctx.state.state.snapshots)
    .filter((s) => request.snapshot_id === "" || s.id === request.snapshot_id)
    .filter((s) => request.source_volume_id === "" || s.sourceVolumeId === request.source_volume_id)
    .sort((a, b) => a.seq - b.seq);
  const { items, nextToken } = page(all, request.starting_token, maxEntries);
  return { entries: items.map((s) => ({ snapshot: snapshotMessage(s) })), next_token: nextToken };
};
