// `stowage csi-external-health-monitor-controller --csi-address unix://… --kubeconfig <file>`: external-health-
// monitor-controller's job for one CSI driver against a (possibly remote) apiserver: each bound PV of the driver
// is asked about (ControllerGetVolume, or ListVolumes) and an abnormal one is said on its claim as a Warning
// VolumeConditionAbnormal event. `stowage up` runs the same loop in-process through startHealthMonitor.
// Upstream's --enable-node-watcher (events for claims of pods on failed nodes) is not built.
import type { Command } from "commander";
import { startHealthMonitor } from "../csi/sidecars/healthmonitor/controller.js";
import { durationFlag, positiveIntFlag } from "./flags.js";
import { runSidecar, sidecarCommand, type SidecarFlags } from "./sidecar.js";

interface Flags extends SidecarFlags {
  monitorInterval?: number;
  listVolumesInterval?: number;
  timeout?: number;
  workerThreads: number;
}

export const healthMonitorCommandName = "csi-external-health-monitor-controller";

export function registerCsiHealthMonitor(program: Command): void {
  sidecarCommand(
    program,
    healthMonitorCommandName,
    "report abnormal CSI volumes as events on their claims (external-health-monitor-controller)",
  )
    .option("--monitor-interval <duration>", "how often each volume's condition is checked (default: 1m)", durationFlag)
    .option(
      "--list-volumes-interval <duration>",
      "how often ListVolumes is called, when the driver lists volumes (default: 5m)",
      durationFlag,
    )
    .option("--timeout <duration>", "deadline of each CSI call (default: 15s)", durationFlag)
    .option("--worker-threads <n>", "concurrent volume checks", positiveIntFlag, 10)
    .action((flags: Flags) =>
      runSidecar(program, healthMonitorCommandName, flags, (sidecar) =>
        startHealthMonitor({
          ...sidecar,
          monitorIntervalMs: flags.monitorInterval,
          listVolumesIntervalMs: flags.listVolumesInterval,
          timeoutMs: flags.timeout,
          workers: flags.workerThreads,
        }),
      ),
    );
}
