// The agent's once-a-second tick.
import { cleanupOrphanedPodDirs } from "./housekeeping.js";
import type { NodeStatusManager } from "./nodestatus.js";
import type { PodWorker } from "./podworker.js";

/**
 * Every second: pods still waiting get their mount timeout checked, only pods still here keep their configMaps and
 * secrets watched, volumesInUse follows the volume manager (a volume joining it is written sooner, as the reconciler
 * asks: volumesinuse.ts), and every other second orphaned pod directories are cleaned up.
 */
export function everySecond(
  worker: PodWorker,
  nodeStatus: NodeStatusManager,
  currentVolumesInUse: () => string[],
  housekeeping: Parameters<typeof cleanupOrphanedPodDirs>[0],
  log: (message: string, err?: unknown) => void,
  retainPodObjects: () => void,
): NodeJS.Timeout {
  let ticks = 0;
  return setInterval(() => {
    worker.requeueWaiting();
    retainPodObjects();
    nodeStatus.setVolumesInUse(currentVolumesInUse());
    nodeStatus.writeStatus().catch((err: unknown) => log("updating node status failed", err));
    if (++ticks % 2 === 0) {
      cleanupOrphanedPodDirs(housekeeping).catch((err: unknown) => log("pod dir cleanup failed", err));
    }
  }, 1000);
}
