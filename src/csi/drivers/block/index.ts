// `stowage csi block`: a local "cloud disk" CSI driver. Volumes are sparse files in the state dir; a node sees
// one as a loop device, formatted once and mounted. See services.ts for what it serves.
//
// The state dir is the cloud: run every node's driver (`--node-id` differs) on the same `--state-dir`. Each
// registers itself there at startup, which is how ControllerPublishVolume knows a node exists (NOT_FOUND
// otherwise) and enforces one node per volume (FAILED_PRECONDITION for a second). Needs root for Node calls.
import { serveCsi } from "../../server.js";
import type { DriverOptions, RunningDriver } from "../options.js";
import {
  defaultCapacityBytes,
  defaultDriverName,
  thawInterruptedCopies,
  topologyKey,
  type BlockContext,
} from "./context.js";
import { haveCommand } from "./exec.js";
import { repairInterruptedExpansions } from "./expand.js";
import { availableFsTypes, blockPrivileges } from "./filesystem.js";
import { OperationLocks } from "../core/locks.js";
import { identityService } from "../core/capabilities.js";
import { blockCapabilities, controllerService, nodeService } from "./services.js";
import { BlockState, isSafeNodeId } from "./state.js";

export { defaultDriverName, topologyKey } from "./context.js";

/** Why Node calls cannot work on this machine, or undefined when they can (root, losetup, mount, blkid present). */
async function nodeUnavailableReason(): Promise<string | undefined> {
  const privileges = await blockPrivileges();
  if (!privileges.canMount) {
    return "the block driver needs root (CAP_SYS_ADMIN) for loop devices and mounts; Node calls are refused";
  }
  const missing = [];
  for (const tool of [
    "losetup",
    "blkid",
    "mount",
    "umount",
    "findmnt",
    "mkfs.ext4",
    "resize2fs",
    "e2fsck",
    "dumpe2fs",
  ]) {
    if (!(await haveCommand(tool))) missing.push(tool);
  }
  if (missing.length > 0) {
    return `the block driver needs ${missing.join(", ")} (util-linux, mount, e2fsprogs); Node calls are refused`;
  }
  return undefined;
}

export async function startDriver(options: DriverOptions): Promise<RunningDriver> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const driverName = options.driverName ?? defaultDriverName;
  if (!isSafeNodeId(options.nodeId)) {
    throw new Error(`invalid node id ${JSON.stringify(options.nodeId)}: use letters, digits, '.', '_' and '-'`);
  }
  const state = await BlockState.open(options.stateDir, options.nodeId);
  const maxVolumesPerNode = options.maxVolumesPerNode ?? 0;
  // Register this node in the cloud: ControllerPublishVolume accepts only nodes that exist.
  await state.nodes.put(options.nodeId, {
    nodeId: options.nodeId,
    topology: { [topologyKey]: options.nodeId },
    maxVolumesPerNode,
  });

  const nodeUnavailable = await nodeUnavailableReason();
  const { canResizeExtOnline } = await blockPrivileges();
  const ctx: BlockContext = {
    driverName,
    nodeId: options.nodeId,
    state,
    locks: new OperationLocks(),
    capacityBytes: options.capacity ?? defaultCapacityBytes,
    maxVolumesPerNode,
    nodeUnavailable,
    canResizeExtOnline,
    fsTypes: nodeUnavailable ? [] : await availableFsTypes(),
    log: (line) => log(`${driverName}: ${line}`),
    crashAt: process.env.STOWAGE_CSI_BLOCK_CRASH_AT || undefined,
  };
  if (nodeUnavailable)
    ctx.log(`WARNING: ${nodeUnavailable}. The Controller service works; run as root to stage and publish.`);
  else {
    ctx.log(`node ${options.nodeId}: loop devices and mounts available; filesystems: ${ctx.fsTypes.join(", ")}`);
    if (!canResizeExtOnline) {
      ctx.log(
        "WARNING: no CAP_SYS_RESOURCE, so ext4 cannot grow while mounted; NodeExpandVolume unmounts the volume briefly to grow it offline",
      );
    }
  }

  if (!nodeUnavailable) {
    await repairInterruptedExpansions(ctx);
    await thawInterruptedCopies(ctx);
  }

  const server = await serveCsi(
    options.endpoint,
    {
      identity: identityService(driverName, blockCapabilities),
      controller: controllerService(ctx),
      node: nodeService(ctx),
    },
    {
      onInternalError: (method, err) =>
        ctx.log(`${method} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`),
    },
  );
  ctx.log(`serving on ${options.endpoint} (state dir ${options.stateDir})`);
  return { stop: () => server.stop() };
}
