// `stowage csi hostpath`: volumes are directories under the state dir, served over CSI on a unix socket.
import { serveCsi } from "../../server.js";
import { checkBindMounts } from "../../../support/mount.js";
import type { DriverOptions, RunningDriver } from "../options.js";
import { DRIVER_NAME, type HostpathContext } from "./context.js";
import { controllerService } from "./controller.js";
import { identityService } from "../core/capabilities.js";
import { hostpathCapabilities } from "./capabilities.js";
import { OperationLocks } from "../core/locks.js";
import { nodeService } from "./node.js";
import { StateFile } from "./state.js";
import { HostpathStorage } from "./storage.js";

export { DRIVER_NAME, TOPOLOGY_KEY } from "./context.js";

export async function startDriver(options: DriverOptions): Promise<RunningDriver> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  if (!options.nodeId) throw new Error("hostpath driver: a node id is required (--node-id)");
  if (!options.stateDir) throw new Error("hostpath driver: a state dir is required (--state-dir)");
  const storage = await HostpathStorage.open(options.stateDir);
  const state = await StateFile.open(storage.root);
  // Whatever a crash left half-made (a directory or tarball without a record) goes now, before anyone can ask.
  for (const path of await storage.collectGarbage(state.state)) log(`hostpath: removed leftover ${path}`);
  for (const path of await storage.remakeEmptyVolumeDirs(state.state)) log(`hostpath: made missing empty ${path}`);

  const mountsUnavailable = await checkBindMounts(storage.tmpDir);
  if (mountsUnavailable) {
    // Say it loudly and once: the controller side works, but no volume can be staged or published here.
    log(
      `hostpath: WARNING: bind mounts are unavailable (${mountsUnavailable}); ` +
        `NodeStageVolume and NodePublishVolume will fail with FAILED_PRECONDITION. Run as root to mount volumes.`,
    );
  }

  const ctx: HostpathContext = {
    driverName: options.driverName ?? DRIVER_NAME,
    nodeId: options.nodeId,
    capacity: options.capacity,
    maxVolumesPerNode: options.maxVolumesPerNode ?? 0,
    state,
    storage,
    locks: new OperationLocks(),
    mountsUnavailable,
    log,
  };
  const server = await serveCsi(
    options.endpoint,
    {
      identity: identityService(ctx.driverName, hostpathCapabilities),
      controller: controllerService(ctx),
      node: nodeService(ctx),
    },
    { onInternalError: (method, err) => log(`hostpath: ${method} failed: ${(err as Error).stack ?? String(err)}`) },
  );
  const volumes = Object.keys(state.state.volumes).length;
  const snapshots = Object.keys(state.state.snapshots).length;
  log(
    `hostpath: ${ctx.driverName} serving ${options.endpoint} for node ${ctx.nodeId} ` +
      `(state ${storage.root}: ${volumes} volumes, ${snapshots} snapshots)`,
  );
  return {
    stop: async () => {
      await server.stop();
      await state.close();
    },
  };
}
