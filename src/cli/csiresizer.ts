// `stowage csi-resizer --csi-address unix://… --kubeconfig <file>`: external-resizer's job for one CSI driver
// against a (possibly remote) apiserver: bound claims on the driver's PVs whose storage request grew →
// ControllerExpandVolume → PV capacity, claim conditions and events. `stowage up` runs the same loop in-process
// through startResizer.
import type { Command } from "commander";
import { startResizer } from "../csi/sidecars/resizer/controller.js";
import { durationFlag, positiveIntFlag } from "./flags.js";
import { retryIntervalOptions, runSidecar, sidecarCommand, type SidecarFlags } from "./sidecar.js";

interface Flags extends SidecarFlags {
  workers: number;
  timeout?: number;
  resync?: number;
  retryIntervalStart?: number;
  retryIntervalMax?: number;
}

export function registerCsiResizer(program: Command): void {
  const command = sidecarCommand(
    program,
    "csi-resizer",
    "expand volumes through a CSI driver when their claims ask for more storage (external-resizer)",
  )
    .option("--workers <n>", "concurrent claim syncs", positiveIntFlag, 10)
    .option("--timeout <duration>", "deadline of each ControllerExpandVolume call (default: 10s)", durationFlag)
    .option("--resync <duration>", "how often every claim is revisited (default: 1m)", durationFlag);
  retryIntervalOptions(command, "expansion").action((flags: Flags) =>
    runSidecar(program, "csi-resizer", flags, (sidecar) =>
      startResizer({
        ...sidecar,
        workers: flags.workers,
        timeoutMs: flags.timeout,
        resyncPeriodMs: flags.resync,
        retryIntervalStartMs: flags.retryIntervalStart,
        retryIntervalMaxMs: flags.retryIntervalMax,
      }),
    ),
  );
}
