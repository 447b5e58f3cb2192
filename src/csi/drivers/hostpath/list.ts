// The hostpath driver's read-only Controller RPCs: ListVolumes, ControllerGetVolume and GetCapacity, and the
// paging ListVolumes and ListSnapshots share.
import { Code, CsiError } from "../../errors.js";
import type { VolumeCondition } from "../../generated/csi/v1/VolumeCondition.js";
import { parseMaxEntries, requireField } from "../requests.js";
import { availableCapacity, TOPOLOGY_KEY, volumeOf, type ControllerRpc, type HostpathContext } from "./context.js";
import type { VolumeRecord } from "./state.js";
import { volumeMessage } from "./volumes.js";

/** Page through `items` (sorted by seq) from the token; tokens are sequence numbers so deletions do not shift pages. */
export function page<T extends { seq: number }>(
  items: T[],
  startingToken: string,
  maxEntries: number,
): { items: T[]; nextToken: string } {
  let start = 0;
  if (startingToken !== "") {
    if (!/^\d+$/.test(startingToken))
      throw new CsiError(Code.ABORTED, `invalid starting_token ${JSON.stringify(startingToken)}`);
    const from = Number(startingToken);
    start = items.findIndex((item) => item.seq >= from);
    if (start < 0) start = items.length;
  }
  const end = maxEntries > 0 ? Math.min(items.length, start + maxEntries) : items.length;
  return { items: items.slice(start, end), nextToken: end < items.length ? String(items[end].seq) : "" };
}

/** Healthy while the volume's directory is still a real directory where we put it (VOLUME_CONDITION). */
async function volumeCondition(ctx: HostpathContext, v: VolumeRecord): Promise<VolumeCondition> {
  try {
    await ctx.storage.safeVolumeDir(v.id);
    return { abnormal: false, message: "volume is healthy" };
  } catch (err) {
    return { abnormal: true, message: (err as Error).message };
  }
}

const volumeStatus = async (ctx: HostpathContext, v: VolumeRecord) => ({
  published_node_ids: Object.keys(v.publishedNodes),
  volume_condition: await volumeCondition(ctx, v),
});

export const listVolumes: ControllerRpc<"ListVolumes"> = async (ctx, request) => {
  const maxEntries = parseMaxEntries(request.max_entries);
  const all = Object.values(ctx.state.state.volumes).sort((a, b) => a.seq - b.seq);
  const { items, nextToken } = page(all, request.starting_token, maxEntries);
  const entries = await Promise.all(
    items.map(async (v) => ({ volume: volumeMessage(ctx, v), status: await volumeStatus(ctx, v) })),
  );
  return { entries, next_token: nextToken };
};

export const controllerGetVolume: ControllerRpc<"ControllerGetVolume"> = async (ctx, request) => {
  const volume = volumeOf(ctx, requireField(request.volume_id, "volume_id"));
  return { volume: volumeMessage(ctx, volume), status: await volumeStatus(ctx, volume) };
};

export const getCapacity: ControllerRpc<"GetCapacity"> = async (ctx, request) => {
  const segments = request.accessible_topology?.segments;
  const elsewhere = segments !== undefined && TOPOLOGY_KEY in segments && segments[TOPOLOGY_KEY] !== ctx.nodeId;
  const block = request.volume_capabilities.some((c) => c.access_type === "block");
  const available = elsewhere || block ? 0 : availableCapacity(ctx);
  return { available_capacity: available, maximum_volume_size: { value: available } };
};
