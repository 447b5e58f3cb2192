// The hostpath Node service: real bind mounts of a volume's directory at the staging path (NodeStageVolume) and at
// each target path (NodePublishVolume), read-only when asked (mounts.ts says what is mounted where). Each call
// records what it did in the volume's record (one journal line), so stats and unstage know the paths. Inline
// (ephemeral) volumes are made by their publish and deleted by their last unpublish (ephemeral.ts).
import { statfs } from "node:fs/promises";
import { Code, CsiError } from "../../errors.js";
import type { NodeService } from "../../server.js";
import { nodeCapabilities } from "../core/capabilities.js";
import { bindService } from "../core/rpc.js";
import { isReadOnlyMode, parseCapability, parseNodePath, requireField, type Capability } from "../requests.js";
import { hostpathCapabilities } from "./capabilities.js";
import { nodeTopology, volumeOf, type HostpathContext, type NodeRpc } from "./context.js";
import { deleteIfUnpublished, ensureEphemeralVolume, isEphemeralRequest } from "./ephemeral.js";
import { ensureBind, isMountedAt, removeTarget, requireMounts, unmountFrom, withTargetParent } from "./mounts.js";
import type { VolumeRecord } from "./state.js";

function mountCapability(capability: Capability, field: string): Capability {
  if (capability.accessType === "block") {
    throw new CsiError(Code.INVALID_ARGUMENT, `${field}: access type block is not supported by the hostpath driver`);
  }
  return capability;
}

/** A path the volume is mounted at, as CO-given paths may carry a trailing slash. */
function publishedPath(volume: VolumeRecord, path: string): string | undefined {
  const normalized = path.length > 1 ? path.replace(/\/+$/, "") : path;
  return normalized in volume.targets || normalized in volume.staged ? normalized : undefined;
}

const nodeStageVolume: NodeRpc<"NodeStageVolume"> = async (ctx, request) => {
  const id = requireField(request.volume_id, "volume_id");
  const stagingPath = parseNodePath(request.staging_target_path, "staging_target_path");
  const capability = mountCapability(
    parseCapability(request.volume_capability, "volume_capability"),
    "volume_capability",
  );
  requireMounts(ctx);
  return ctx.locks.run([id], async () => {
    const volume = volumeOf(ctx, id);
    const readonly = isReadOnlyMode(capability.mode);
    await ensureBind(ctx, volume, stagingPath, readonly, "staging_target_path");
    if (!volume.staged[stagingPath]) {
      volume.staged[stagingPath] = { readonly };
      await ctx.state.save({ volume: id });
    }
    return {};
  });
};

const nodeUnstageVolume: NodeRpc<"NodeUnstageVolume"> = async (ctx, request) => {
  const id = requireField(request.volume_id, "volume_id");
  const stagingPath = parseNodePath(request.staging_target_path, "staging_target_path");
  return ctx.locks.run([id], async () => {
    const volume = volumeOf(ctx, id);
    await withTargetParent(stagingPath, "staging_target_path", async (target) => {
      if (target) await unmountFrom(ctx, volume, target);
    });
    if (volume.staged[stagingPath]) {
      delete volume.staged[stagingPath];
      await ctx.state.save({ volume: id });
    }
    return {};
  });
};

const nodePublishVolume: NodeRpc<"NodePublishVolume"> = async (ctx, request) => {
  const id = requireField(request.volume_id, "volume_id");
  const targetPath = parseNodePath(request.target_path, "target_path");
  const capability = mountCapability(
    parseCapability(request.volume_capability, "volume_capability"),
    "volume_capability",
  );
  // An inline volume is published with no staging (the kubelet does not stage it); it is made here.
  const ephemeral = isEphemeralRequest(request.volume_context);
  if (!ephemeral && request.staging_target_path === "") {
    throw new CsiError(
      Code.FAILED_PRECONDITION,
      `staging_target_path missing: volume ${id} must be staged (NodeStageVolume) before it is published`,
    );
  }
  const stagingPath = ephemeral ? "" : parseNodePath(request.staging_target_path, "staging_target_path");
  requireMounts(ctx);
  return ctx.locks.run([id], async () => {
    const volume = ephemeral ? await ensureEphemeralVolume(ctx, id, request.volume_context) : volumeOf(ctx, id);
    if (!ephemeral && !volume.staged[stagingPath]) {
      throw new CsiError(
        Code.FAILED_PRECONDITION,
        `volume ${id} must be staged at ${stagingPath} before it is published`,
      );
    }
    const readonly = request.readonly || isReadOnlyMode(capability.mode);
    await ensureBind(ctx, volume, targetPath, readonly, "target_path");
    if (!volume.targets[targetPath]) {
      volume.targets[targetPath] = { readonly };
      await ctx.state.save({ volume: id });
    }
    return {};
  });
};

const nodeUnpublishVolume: NodeRpc<"NodeUnpublishVolume"> = async (ctx, request) => {
  const id = requireField(request.volume_id, "volume_id");
  const targetPath = parseNodePath(request.target_path, "target_path");
  return ctx.locks.run([id], async () => {
    const volume = volumeOf(ctx, id);
    const forget = async () => {
      if (!volume.targets[targetPath]) return;
      delete volume.targets[targetPath];
      await ctx.state.save({ volume: id });
    };
    await withTargetParent(targetPath, "target_path", async (target) => {
      if (!target) return forget(); // a parent is gone: nothing is mounted there
      await unmountFrom(ctx, volume, target);
      // Unmounted: the record and the empty mount point left behind are independent, so the journal's disk write
      // and the rmdir (each a wait on the filesystem's journal) overlap. A crash between them leaves either a
      // record a retry clears or a directory the retry removes.
      await Promise.all([removeTarget(ctx, id, target), forget()]);
    });
    await deleteIfUnpublished(ctx, volume);
    return {};
  });
};

const nodeGetVolumeStats: NodeRpc<"NodeGetVolumeStats"> = async (ctx, request) => {
  const id = requireField(request.volume_id, "volume_id");
  requireField(request.volume_path, "volume_path");
  const volume = volumeOf(ctx, id);
  const path = publishedPath(volume, request.volume_path);
  if (!path) throw new CsiError(Code.NOT_FOUND, `volume ${id} is not mounted at ${request.volume_path}`);
  const mounted = await withTargetParent(path, "volume_path", async (target) =>
    target ? isMountedAt(ctx, volume, target) : false,
  );
  if (!mounted) {
    return {
      usage: [],
      volume_condition: { abnormal: true, message: `volume ${id} should be mounted at ${path} but is not` },
    };
  }
  const used = await ctx.storage.usage(id);
  const fs = await statfs(ctx.storage.volumeDir(id));
  const total = volume.capacityBytes;
  return {
    usage: [
      { unit: "BYTES", total, used: used.bytes, available: Math.max(0, total - used.bytes) },
      { unit: "INODES", total: fs.files, used: used.inodes, available: fs.ffree },
    ],
    volume_condition: { abnormal: false, message: "volume is healthy" },
  };
};

const nodeExpandVolume: NodeRpc<"NodeExpandVolume"> = async (ctx, request) => {
  const id = requireField(request.volume_id, "volume_id");
  requireField(request.volume_path, "volume_path");
  const volume = volumeOf(ctx, id);
  if (!publishedPath(volume, request.volume_path)) {
    throw new CsiError(Code.NOT_FOUND, `volume ${id} is not mounted at ${request.volume_path}`);
  }
  if (request.volume_capability?.access_type === "block") {
    throw new CsiError(
      Code.INVALID_ARGUMENT,
      "volume_capability: access type block is not supported by the hostpath driver",
    );
  }
  // A directory has no filesystem to grow: the new size is the one ControllerExpandVolume recorded.
  return { capacity_bytes: volume.capacityBytes };
};

export const nodeService = (ctx: HostpathContext): Partial<NodeService> =>
  bindService<HostpathContext, NodeService>(ctx, {
    NodeGetCapabilities: async () => nodeCapabilities(hostpathCapabilities),
    NodeGetInfo: async () => ({
      node_id: ctx.nodeId,
      max_volumes_per_node: ctx.maxVolumesPerNode,
      accessible_topology: nodeTopology(ctx),
    }),
    NodeStageVolume: nodeStageVolume,
    NodeUnstageVolume: nodeUnstageVolume,
    NodePublishVolume: nodePublishVolume,
    NodeUnpublishVolume: nodeUnpublishVolume,
    NodeGetVolumeStats: nodeGetVolumeStats,
    NodeExpandVolume: nodeExpandVolume,
  });
