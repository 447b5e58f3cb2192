// The hostpath Node service: real bind mounts of a volume's directory at the staging path (NodeStageVolume) and at
// each target path (NodePublishVolume), read-only when asked. What is mounted is asked of the kernel on every call,
// so a retry (or a restarted driver) finds finished work instead of mounting twice: statx says whether a path is a
// mount point and comparing inodes says whose, so the mount table (which grows with every mount on the node) is
// read only for the rare answers that need more.
import { mkdir, realpath, rm, rmdir, stat, statfs } from "node:fs/promises";
import { dirname } from "node:path";
import { Code, CsiError } from "../../errors.js";
import type { NodeServiceCapability } from "../../generated/csi/v1/NodeServiceCapability.js";
import type { NodeService } from "../../server.js";
import { bindMount, isMountPoint, mountAt, unmount, type MountInfo } from "../../../support/mount.js";
import { isReadOnlyMode, parseCapability, parseNodePath, requireField, type Capability } from "../requests.js";
import { nodeTopology, type HostpathContext } from "./context.js";
import type { VolumeRecord } from "./state.js";

const nodeCapabilities: NodeServiceCapability[] = (
  ["STAGE_UNSTAGE_VOLUME", "GET_VOLUME_STATS", "EXPAND_VOLUME", "VOLUME_CONDITION", "SINGLE_NODE_MULTI_WRITER"] as const
).map((type) => ({ rpc: { type } }));

/**
 * Creates `path` (and parents) if needed and refuses it if any part of it is a symlink: mounting over a symlink
 * mounts over whatever it points to, which is how a workload could aim a volume at /etc.
 */
async function prepareMountPoint(path: string, field: string): Promise<void> {
  await mkdir(path, { recursive: true, mode: 0o750 });
  const real = await realpath(path);
  if (real !== path) {
    throw new CsiError(
      Code.INVALID_ARGUMENT,
      `${field} ${JSON.stringify(path)} goes through a symlink (it resolves to ${JSON.stringify(real)}); refusing to mount there`,
    );
  }
}

/** Whether the mount at a path is a bind of this volume's directory. */
const isMountOf = (mount: MountInfo, volumeId: string): boolean => mount.root.endsWith(`/volumes/${volumeId}`);

const isReadOnlyMount = (mount: MountInfo): boolean => mount.options.includes("ro");

/** The same file: a bind mount's root is the very directory it binds (same device and inode). */
async function sameFile(a: string, b: string): Promise<boolean | undefined> {
  const [x, y] = await Promise.all([stat(a, { bigint: true }), stat(b, { bigint: true })]).catch(() => []);
  if (!x || !y) return undefined;
  return x.dev === y.dev && x.ino === y.ino;
}

export function nodeService(ctx: HostpathContext): Partial<NodeService> {
  const { state, storage, locks } = ctx;

  const getVolume = (id: string): VolumeRecord => {
    const volume = state.state.volumes[id];
    if (!volume) throw new CsiError(Code.NOT_FOUND, `volume ${id} not found`);
    return volume;
  };

  const requireMounts = (): void => {
    if (ctx.mountsUnavailable) {
      throw new CsiError(
        Code.FAILED_PRECONDITION,
        `the hostpath driver cannot mount on this node: ${ctx.mountsUnavailable}`,
      );
    }
  };

  const mountCapability = (capability: Capability, field: string): Capability => {
    if (capability.accessType === "block") {
      throw new CsiError(Code.INVALID_ARGUMENT, `${field}: access type block is not supported by the hostpath driver`);
    }
    return capability;
  };

  /**
   * Bind-mounts the volume at `path` unless it already is (with the same read-only-ness), which makes stage and
   * publish idempotent. A different mount already there means the path belongs to someone else: ALREADY_EXISTS.
   */
  const ensureBind = async (volume: VolumeRecord, path: string, readonly: boolean, field: string): Promise<void> => {
    await prepareMountPoint(path, field);
    const current = await mountAt(path);
    if (current) {
      if (!isMountOf(current, volume.id)) {
        throw new CsiError(Code.ALREADY_EXISTS, `${field} ${path} already has another mount (${current.root})`);
      }
      if (isReadOnlyMount(current) !== readonly) {
        throw new CsiError(
          Code.ALREADY_EXISTS,
          `volume ${volume.id} is already mounted at ${path} ${isReadOnlyMount(current) ? "read-only" : "read-write"}`,
        );
      }
      return;
    }
    await bindMount(await storage.safeVolumeDir(volume.id), path, readonly);
  };

  /**
   * Whether this volume's directory is what is mounted at `path` (false: nothing or something else is). A mount
   * point whose root is the volume's directory is its bind; the mount table decides only when the inodes cannot
   * be compared (the volume's directory is gone, say).
   */
  const isMountedAt = async (volume: VolumeRecord, path: string): Promise<boolean> => {
    if (!(await isMountPoint(path))) return false;
    const same = await sameFile(path, storage.volumeDir(volume.id));
    if (same !== undefined) return same;
    const mount = await mountAt(path);
    return mount !== undefined && isMountOf(mount, volume.id);
  };

  /** A path the volume is mounted at, as CO-given paths may carry a trailing slash. */
  const publishedPath = (volume: VolumeRecord, path: string): string | undefined => {
    const normalized = path.length > 1 ? path.replace(/\/+$/, "") : path;
    return normalized in volume.targets || normalized in volume.staged ? normalized : undefined;
  };

  return {
    async NodeGetCapabilities() {
      return { capabilities: nodeCapabilities };
    },

    async NodeGetInfo() {
      return {
        node_id: ctx.nodeId,
        max_volumes_per_node: ctx.maxVolumesPerNode,
        accessible_topology: nodeTopology(ctx),
      };
    },

    async NodeStageVolume(request) {
      const id = requireField(request.volume_id, "volume_id");
      const stagingPath = parseNodePath(request.staging_target_path, "staging_target_path");
      const capability = mountCapability(
        parseCapability(request.volume_capability, "volume_capability"),
        "volume_capability",
      );
      requireMounts();
      return locks.run([id], async () => {
        const volume = getVolume(id);
        const readonly = isReadOnlyMode(capability.mode);
        await ensureBind(volume, stagingPath, readonly, "staging_target_path");
        if (!volume.staged[stagingPath]) {
          volume.staged[stagingPath] = { readonly };
          await state.save({ volume: id });
        }
        return {};
      });
    },

    async NodeUnstageVolume(request) {
      const id = requireField(request.volume_id, "volume_id");
      const stagingPath = parseNodePath(request.staging_target_path, "staging_target_path");
      return locks.run([id], async () => {
        const volume = getVolume(id);
        if (await isMountedAt(volume, stagingPath)) await unmount(stagingPath);
        if (volume.staged[stagingPath]) {
          delete volume.staged[stagingPath];
          await state.save({ volume: id });
        }
        return {};
      });
    },

    async NodePublishVolume(request) {
      const id = requireField(request.volume_id, "volume_id");
      const targetPath = parseNodePath(request.target_path, "target_path");
      const capability = mountCapability(
        parseCapability(request.volume_capability, "volume_capability"),
        "volume_capability",
      );
      if (request.staging_target_path === "") {
        throw new CsiError(
          Code.FAILED_PRECONDITION,
          `staging_target_path missing: volume ${id} must be staged (NodeStageVolume) before it is published`,
        );
      }
      const stagingPath = parseNodePath(request.staging_target_path, "staging_target_path");
      requireMounts();
      return locks.run([id], async () => {
        const volume = getVolume(id);
        if (!volume.staged[stagingPath]) {
          throw new CsiError(
            Code.FAILED_PRECONDITION,
            `volume ${id} must be staged at ${stagingPath} before it is published`,
          );
        }
        const readonly = request.readonly || isReadOnlyMode(capability.mode);
        await mkdir(dirname(targetPath), { recursive: true });
        await ensureBind(volume, targetPath, readonly, "target_path");
        if (!volume.targets[targetPath]) {
          volume.targets[targetPath] = { readonly };
          await state.save({ volume: id });
        }
        return {};
      });
    },

    async NodeUnpublishVolume(request) {
      const id = requireField(request.volume_id, "volume_id");
      const targetPath = parseNodePath(request.target_path, "target_path");
      return locks.run([id], async () => {
        const volume = getVolume(id);
        if (await isMountedAt(volume, targetPath)) await unmount(targetPath);
        // The target is ours to remove (spec: the SP deletes what it created at target_path). rmdir, never rm -r:
        // if anything is still inside, it is not our mount point and not ours to delete.
        await rmdir(targetPath).catch(async (err: NodeJS.ErrnoException) => {
          if (err.code === "ENOENT") return;
          if (err.code === "ENOTDIR") return rm(targetPath, { force: true });
          if (await mountAt(targetPath)) {
            throw new CsiError(
              Code.FAILED_PRECONDITION,
              `${targetPath} is mounted by something other than volume ${id}`,
            );
          }
          ctx.log(`hostpath: NodeUnpublishVolume left ${targetPath} in place: ${err.message}`);
        });
        if (volume.targets[targetPath]) {
          delete volume.targets[targetPath];
          await state.save({ volume: id });
        }
        return {};
      });
    },

    async NodeGetVolumeStats(request) {
      const id = requireField(request.volume_id, "volume_id");
      requireField(request.volume_path, "volume_path");
      const volume = getVolume(id);
      const path = publishedPath(volume, request.volume_path);
      if (!path) throw new CsiError(Code.NOT_FOUND, `volume ${id} is not mounted at ${request.volume_path}`);
      if (!(await isMountedAt(volume, path))) {
        return {
          usage: [],
          volume_condition: { abnormal: true, message: `volume ${id} should be mounted at ${path} but is not` },
        };
      }
      const used = await storage.usage(id);
      const fs = await statfs(storage.volumeDir(id));
      const total = volume.capacityBytes;
      return {
        usage: [
          { unit: "BYTES", total, used: used.bytes, available: Math.max(0, total - used.bytes) },
          { unit: "INODES", total: fs.files, used: used.inodes, available: fs.ffree },
        ],
        volume_condition: { abnormal: false, message: "volume is healthy" },
      };
    },

    async NodeExpandVolume(request) {
      const id = requireField(request.volume_id, "volume_id");
      requireField(request.volume_path, "volume_path");
      const volume = getVolume(id);
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
    },
  };
}
