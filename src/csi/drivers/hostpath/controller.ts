// The hostpath Controller service: volumes are directories, snapshots are tarballs, all on this one node.
// Every call is idempotent: a retry after a timeout or a crash finds the finished work and returns it.
// Order of effects in each call is chosen so a crash at any point leaves nothing half-made: the directory or
// tarball is built first and the state record written last (create), or the record removed first and the files
// after (delete); files without a record are garbage that the next start removes.
import { randomUUID } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import { Code, CsiError, missingField } from "../../errors.js";
import type { ControllerServiceCapability } from "../../generated/csi/v1/ControllerServiceCapability.js";
import type { Snapshot } from "../../generated/csi/v1/Snapshot.js";
import type { TopologyRequirement__Output } from "../../generated/csi/v1/TopologyRequirement.js";
import type { Volume } from "../../generated/csi/v1/Volume.js";
import type { VolumeContentSource, VolumeContentSource__Output } from "../../generated/csi/v1/VolumeContentSource.js";
import type { ControllerService } from "../../server.js";
import {
  fitsRange,
  parseCapabilities,
  parseCapability,
  parseCapacityRange,
  parseMaxEntries,
  requireField,
  timestampOf,
  type Capability,
} from "../requests.js";
import {
  DEFAULT_VOLUME_SIZE,
  TOPOLOGY_KEY,
  nodeTopology,
  usedCapacity,
  usersOf,
  type HostpathContext,
} from "./context.js";
import type { SnapshotRecord, VolumeRecord } from "./state.js";
import type { ContentSource } from "./storage.js";

const controllerCapabilities: ControllerServiceCapability[] = (
  [
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
  ] as const
).map((type) => ({ rpc: { type } }));

/** Hostpath volumes are directories: the block access type cannot be served. */
function refuseBlock(capabilities: Capability[], field: string): void {
  const index = capabilities.findIndex((c) => c.accessType === "block");
  if (index >= 0) {
    throw new CsiError(
      Code.INVALID_ARGUMENT,
      `${field}[${index}]: access type block is not supported by the hostpath driver (volumes are directories)`,
    );
  }
}

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

/** Page through `items` (sorted by seq) from the token; tokens are sequence numbers so deletions do not shift pages. */
function page<T extends { seq: number }>(
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

export function controllerService(ctx: HostpathContext): Partial<ControllerService> {
  const { state, storage, locks } = ctx;
  const volumes = () => state.state.volumes;
  const snapshots = () => state.state.snapshots;

  const volumeMessage = (v: VolumeRecord): Volume => ({
    volume_id: v.id,
    capacity_bytes: v.capacityBytes,
    volume_context: {},
    content_source: sourceMessage(v.source),
    accessible_topology: [nodeTopology(ctx)],
  });

  const snapshotMessage = (s: SnapshotRecord): Snapshot => ({
    snapshot_id: s.id,
    source_volume_id: s.sourceVolumeId,
    size_bytes: s.sizeBytes,
    creation_time: timestampOf(s.createdAt),
    ready_to_use: true,
  });

  const getVolume = (id: string): VolumeRecord => {
    const volume = volumes()[id];
    if (!volume) throw new CsiError(Code.NOT_FOUND, `volume ${id} not found`);
    return volume;
  };

  const volumeCondition = async (v: VolumeRecord) => {
    try {
      await storage.safeVolumeDir(v.id);
      return { abnormal: false, message: "volume is healthy" };
    } catch (err) {
      return { abnormal: true, message: (err as Error).message };
    }
  };

  /** A volume can be made only where this node can serve it: requisite topology must include this node. */
  const checkTopology = (requirement: TopologyRequirement__Output | null): void => {
    const requisite = requirement?.requisite ?? [];
    if (requisite.length === 0) return;
    if (!requisite.some((t) => t.segments[TOPOLOGY_KEY] === ctx.nodeId)) {
      throw new CsiError(
        Code.RESOURCE_EXHAUSTED,
        `hostpath volumes can only be created on node ${ctx.nodeId}, which the requisite topology does not include`,
      );
    }
  };

  return {
    async ControllerGetCapabilities() {
      return { capabilities: controllerCapabilities };
    },

    async CreateVolume(request) {
      const name = requireField(request.name, "name");
      const capabilities = parseCapabilities(request.volume_capabilities, "volume_capabilities");
      refuseBlock(capabilities, "volume_capabilities");
      const range = parseCapacityRange(request.capacity_range, "capacity_range");
      const source = parseContentSource(request.volume_content_source);
      checkTopology(request.accessibility_requirements);
      const sourceKey = source && ("snapshotId" in source ? source.snapshotId : source.volumeId);

      return locks.run([`name:${name}`, sourceKey ?? ""], async () => {
        const existing = Object.values(volumes()).find((v) => v.name === name);
        if (existing) {
          // Same name: a retry if it asks for what we made, a conflict otherwise (spec: ALREADY_EXISTS).
          if (!fitsRange(existing.capacityBytes, range)) {
            throw new CsiError(
              Code.ALREADY_EXISTS,
              `volume ${JSON.stringify(name)} already exists with capacity ${existing.capacityBytes} bytes, outside the requested range`,
            );
          }
          if (!sameMap(existing.parameters, request.parameters)) {
            throw new CsiError(
              Code.ALREADY_EXISTS,
              `volume ${JSON.stringify(name)} already exists with different parameters`,
            );
          }
          if (!isDeepStrictEqual(existing.source, source)) {
            throw new CsiError(
              Code.ALREADY_EXISTS,
              `volume ${JSON.stringify(name)} already exists with a different content source`,
            );
          }
          return { volume: volumeMessage(existing) };
        }

        let content: ContentSource | undefined;
        let sourceBytes = 0;
        if (source && "snapshotId" in source) {
          const snapshot = snapshots()[source.snapshotId];
          if (!snapshot) throw new CsiError(Code.NOT_FOUND, `source snapshot ${source.snapshotId} not found`);
          content = { snapshotFile: storage.snapshotFile(snapshot.id) };
          sourceBytes = snapshot.sizeBytes;
        } else if (source) {
          const sourceVolume = volumes()[source.volumeId];
          if (!sourceVolume) throw new CsiError(Code.NOT_FOUND, `source volume ${source.volumeId} not found`);
          content = { volumeDir: await storage.safeVolumeDir(sourceVolume.id) };
          sourceBytes = sourceVolume.capacityBytes;
        }

        let size = range.requiredBytes || Math.min(DEFAULT_VOLUME_SIZE, range.limitBytes || Infinity);
        if (sourceBytes > size) {
          // A restore or clone can never be smaller than its source.
          if (range.requiredBytes === 0 && (range.limitBytes === 0 || sourceBytes <= range.limitBytes))
            size = sourceBytes;
          else {
            throw new CsiError(
              Code.OUT_OF_RANGE,
              `requested capacity ${size} is smaller than the source's ${sourceBytes} bytes`,
            );
          }
        }
        const available = ctx.capacity - usedCapacity(ctx);
        if (size > available) {
          throw new CsiError(
            Code.RESOURCE_EXHAUSTED,
            `not enough capacity: ${size} bytes requested, ${Math.max(0, available)} of ${ctx.capacity} available`,
          );
        }

        const id = randomUUID();
        await storage.createVolumeDir(id, content);
        const volume: VolumeRecord = {
          id,
          name,
          seq: state.takeSeq(),
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
        volumes()[id] = volume;
        await state.save();
        return { volume: volumeMessage(volume) };
      });
    },

    async DeleteVolume(request) {
      const id = requireField(request.volume_id, "volume_id");
      return locks.run([id], async () => {
        const volume = volumes()[id];
        if (!volume) return {}; // already gone: deleting is idempotent
        const users = usersOf(volume);
        if (users.length > 0) {
          throw new CsiError(Code.FAILED_PRECONDITION, `volume ${id} is still in use: ${users.join(", ")}`);
        }
        delete volumes()[id];
        await state.save();
        await storage.removeVolumeDir(id);
        return {};
      });
    },

    async ControllerPublishVolume(request) {
      const id = requireField(request.volume_id, "volume_id");
      const nodeId = requireField(request.node_id, "node_id");
      const capability = parseCapability(request.volume_capability, "volume_capability");
      refuseBlock([capability], "volume_capability");
      return locks.run([id], async () => {
        const volume = getVolume(id);
        if (nodeId !== ctx.nodeId) {
          throw new CsiError(
            Code.NOT_FOUND,
            `node ${nodeId} not found: hostpath volumes exist only on node ${ctx.nodeId}`,
          );
        }
        const current = volume.publishedNodes[nodeId];
        if (current) {
          if (current.readonly !== request.readonly) {
            throw new CsiError(
              Code.ALREADY_EXISTS,
              `volume ${id} is already published to node ${nodeId} with readonly=${current.readonly}`,
            );
          }
          return { publish_context: {} };
        }
        if (ctx.maxVolumesPerNode > 0) {
          const attached = Object.values(volumes()).filter((v) => v.publishedNodes[nodeId]).length;
          if (attached >= ctx.maxVolumesPerNode) {
            throw new CsiError(
              Code.RESOURCE_EXHAUSTED,
              `node ${nodeId} already has ${attached} volumes published, its maximum`,
            );
          }
        }
        volume.publishedNodes[nodeId] = { readonly: request.readonly };
        await state.save();
        return { publish_context: {} };
      });
    },

    async ControllerUnpublishVolume(request) {
      const id = requireField(request.volume_id, "volume_id");
      return locks.run([id], async () => {
        const volume = volumes()[id];
        // A volume that no longer exists is published nowhere (spec: assume it is unpublished).
        if (!volume) return {};
        if (request.node_id === "") volume.publishedNodes = {};
        else delete volume.publishedNodes[request.node_id];
        await state.save();
        return {};
      });
    },

    async ValidateVolumeCapabilities(request) {
      const id = requireField(request.volume_id, "volume_id");
      const capabilities = parseCapabilities(request.volume_capabilities, "volume_capabilities");
      getVolume(id);
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
    },

    async ListVolumes(request) {
      const maxEntries = parseMaxEntries(request.max_entries);
      const all = Object.values(volumes()).sort((a, b) => a.seq - b.seq);
      const { items, nextToken } = page(all, request.starting_token, maxEntries);
      const entries = await Promise.all(
        items.map(async (v) => ({
          volume: volumeMessage(v),
          status: { published_node_ids: Object.keys(v.publishedNodes), volume_condition: await volumeCondition(v) },
        })),
      );
      return { entries, next_token: nextToken };
    },

    async GetCapacity(request) {
      const segments = request.accessible_topology?.segments;
      const elsewhere = segments !== undefined && TOPOLOGY_KEY in segments && segments[TOPOLOGY_KEY] !== ctx.nodeId;
      const block = request.volume_capabilities.some((c) => c.access_type === "block");
      const available = elsewhere || block ? 0 : Math.max(0, ctx.capacity - usedCapacity(ctx));
      return { available_capacity: available, maximum_volume_size: { value: available } };
    },

    async ControllerGetVolume(request) {
      const volume = getVolume(requireField(request.volume_id, "volume_id"));
      return {
        volume: volumeMessage(volume),
        status: {
          published_node_ids: Object.keys(volume.publishedNodes),
          volume_condition: await volumeCondition(volume),
        },
      };
    },

    async ControllerExpandVolume(request) {
      const id = requireField(request.volume_id, "volume_id");
      if (!request.capacity_range) throw missingField("capacity_range");
      const range = parseCapacityRange(request.capacity_range, "capacity_range");
      if (request.volume_capability)
        refuseBlock([parseCapability(request.volume_capability, "volume_capability")], "volume_capability");
      return locks.run([id], async () => {
        const volume = getVolume(id);
        const wanted = range.requiredBytes || range.limitBytes;
        if (range.limitBytes > 0 && range.limitBytes < volume.capacityBytes) {
          throw new CsiError(
            Code.OUT_OF_RANGE,
            `volume ${id} is ${volume.capacityBytes} bytes; it cannot shrink to limit_bytes ${range.limitBytes}`,
          );
        }
        if (wanted > volume.capacityBytes) {
          const available = ctx.capacity - usedCapacity(ctx);
          if (wanted - volume.capacityBytes > available) {
            throw new CsiError(
              Code.OUT_OF_RANGE,
              `not enough capacity to grow volume ${id} to ${wanted} bytes: ${Math.max(0, available)} bytes available`,
            );
          }
          volume.capacityBytes = wanted;
          await state.save();
        }
        // The directory needs nothing, but the node step keeps the CO's flow (and its PVC conditions) as for
        // any filesystem volume: ControllerExpand → NodeExpand.
        return { capacity_bytes: volume.capacityBytes, node_expansion_required: true };
      });
    },

    async CreateSnapshot(request) {
      const sourceId = requireField(request.source_volume_id, "source_volume_id");
      const name = requireField(request.name, "name");
      return locks.run([`snapshot-name:${name}`, sourceId], async () => {
        const existing = Object.values(snapshots()).find((s) => s.name === name);
        if (existing) {
          if (existing.sourceVolumeId !== sourceId) {
            throw new CsiError(
              Code.ALREADY_EXISTS,
              `snapshot ${JSON.stringify(name)} already exists for a different source volume (${existing.sourceVolumeId})`,
            );
          }
          return { snapshot: snapshotMessage(existing) };
        }
        const volume = getVolume(sourceId);
        const id = randomUUID();
        await storage.cutSnapshot(volume.id, id);
        const snapshot: SnapshotRecord = {
          id,
          name,
          seq: state.takeSeq(),
          sourceVolumeId: volume.id,
          sizeBytes: volume.capacityBytes,
          createdAt: Date.now(),
        };
        snapshots()[id] = snapshot;
        await state.save();
        return { snapshot: snapshotMessage(snapshot) };
      });
    },

    async DeleteSnapshot(request) {
      const id = requireField(request.snapshot_id, "snapshot_id");
      return locks.run([id], async () => {
        if (!snapshots()[id]) return {};
        delete snapshots()[id];
        await state.save();
        await storage.removeSnapshot(id);
        return {};
      });
    },

    async ListSnapshots(request) {
      const maxEntries = parseMaxEntries(request.max_entries);
      const all = Object.values(snapshots())
        .filter((s) => request.snapshot_id === "" || s.id === request.snapshot_id)
        .filter((s) => request.source_volume_id === "" || s.sourceVolumeId === request.source_volume_id)
        .sort((a, b) => a.seq - b.seq);
      const { items, nextToken } = page(all, request.starting_token, maxEntries);
      return { entries: items.map((s) => ({ snapshot: snapshotMessage(s) })), next_token: nextToken };
    },
  };
}
