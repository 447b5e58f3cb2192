// The kubelet's volume metrics for /metrics: volume_manager_total_volumes (pkg/kubelet/volumemanager/metrics), the
// pod volumes per plugin in the desired and the actual state of the world, and kubelet_volume_stats_* (the
// volume stats collector), bytes and inodes of every mounted claim, read from the mount with statfs at scrape time.
import { statfsSync } from "node:fs";
import { Counter, Gauge } from "prom-client";
import { observeStorageOperation, qualifiedPluginName } from "../../client/index.js";
import { AttachPendingError } from "../plugins/context.js";
import type { ActualState } from "./actual.js";
import { volumeKey, type DesiredPod, type DesiredVolume } from "./desired.js";

export interface VolumeManagerState {
  desiredPods(): DesiredPod[];
  actual: ActualState;
}

/** The volume managers running in this process (one per node agent: `up --nodes N` runs N). */
const sources = new Set<VolumeManagerState>();

export function collectFrom(state: VolumeManagerState, signal: AbortSignal): void {
  sources.add(state);
  signal.addEventListener("abort", () => sources.delete(state), { once: true });
}

new Gauge({
  name: "volume_manager_total_volumes",
  help: "Number of volumes in Volume Manager",
  labelNames: ["plugin_name", "state"],
  collect() {
    this.reset();
    for (const source of sources) {
      for (const pod of source.desiredPods()) {
        for (const volume of pod.volumes) {
          const driver = volume.kind === "csi" ? volume.source.driver : undefined;
          this.inc({ plugin_name: qualifiedPluginName(volume.plugin, driver), state: "desired_state_of_world" });
        }
      }
      for (const volume of source.actual.volumes.values()) {
        if (volume.uncertain) continue;
        const plugin_name = qualifiedPluginName(volume.plugin, volume.csi?.driverName);
        this.inc({ plugin_name, state: "actual_state_of_world" });
      }
    }
  },
});

/**
 * The reconciler's full passes (every pod looked at, settled or not), per node: proof for a reader, or a test,
 * that the volume manager has compared desired with actual since some moment. Upstream's reconciler has no metric.
 */
const fullPasses = new Counter({
  name: "stowage_volume_manager_reconciler_full_passes_total",
  help: "Number of volume manager reconciler passes that looked at every pod",
  labelNames: ["node"],
});

export function fullPassDone(node: string): void {
  fullPasses.inc({ node });
}

interface ClaimStats {
  namespace: string;
  persistentvolumeclaim: string;
  stats: { bsize: number; blocks: number; bfree: number; bavail: number; files: number; ffree: number };
}

/** Each mounted filesystem claim once (several pods may mount one claim), with its filesystem's statfs. */
function mountedClaims(): ClaimStats[] {
  const seen = new Map<string, ClaimStats>();
  for (const source of sources) {
    for (const pod of source.desiredPods()) {
      for (const volume of pod.volumes) {
        if (volume.kind !== "csi" || volume.volumeMode === "Block" || seen.has(volume.claimKey)) continue;
        const mounted = source.actual.volumes.get(volumeKey(volume satisfies DesiredVolume));
        if (!mounted?.csi || mounted.uncertain) continue;
        try {
          const stats = statfsSync(mounted.csi.targetPath);
          const [namespace, persistentvolumeclaim] = volume.claimKey.split("/");
          seen.set(volume.claimKey, { namespace, persistentvolumeclaim, stats });
        } catch {
          // unmounted meanwhile: no figures for it this time
        }
      }
    }
  }
  return [...seen.values()];
}

const figures: Array<[string, string, (s: ClaimStats["stats"]) => number]> = [
  ["capacity_bytes", "Capacity in bytes of the volume", (s) => s.blocks * s.bsize],
  ["available_bytes", "Number of available bytes in the volume", (s) => s.bavail * s.bsize],
  ["used_bytes", "Number of used bytes in the volume", (s) => (s.blocks - s.bfree) * s.bsize],
  ["inodes", "Maximum number of inodes in the volume", (s) => s.files],
  ["inodes_free", "Number of free inodes in the volume", (s) => s.ffree],
  ["inodes_used", "Number of used inodes in the volume", (s) => s.files - s.ffree],
];

for (const [suffix, help, figure] of figures) {
  new Gauge({
    name: `kubelet_volume_stats_${suffix}`,
    help,
    labelNames: ["namespace", "persistentvolumeclaim"],
    collect() {
      this.reset();
      for (const claim of mountedClaims()) {
        this.set(
          { namespace: claim.namespace, persistentvolumeclaim: claim.persistentvolumeclaim },
          figure(claim.stats),
        );
      }
    },
  });
}

/**
 * `step`, timed into storage_operation_duration_seconds as the node's operation `operation` ("volume_mount" for
 * SetUp, "volume_unmount", "unmount_device", "volume_fs_resize"); waiting for an attach is no operation and not counted. */
export function timed(
  operation: string,
  plugin: string,
  driver: string | undefined,
  step: () => Promise<void>,
): () => Promise<void> {
  return async () => {
    const startedAt = performance.now();
    const record = (status: "success" | "fail-unknown") =>
      observeStorageOperation(
        qualifiedPluginName(plugin, driver),
        operation,
        status,
        (performance.now() - startedAt) / 1000,
      );
    try {
      await step();
    } catch (err) {
      if (!(err instanceof AttachPendingError)) record("fail-unknown");
      throw err;
    }
    record("success");
  };
}
