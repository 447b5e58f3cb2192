// `stowage csi-attacher --csi-address unix://… --kubeconfig <file>`: external-attacher's job for one CSI driver
// against a (possibly remote) apiserver: VolumeAttachments naming the driver → ControllerPublishVolume →
// status.attached; deleted ones → ControllerUnpublishVolume → finalizer removed. `stowage up` runs the same
// loops in-process through startAttacher.
import type { Command } from "commander";
import { startAttacher } from "../csi/sidecars/attacher/controller.js";
import { durationFlag, positiveIntFlag } from "./flags.js";
import { retryIntervalOptions, runSidecar, sidecarCommand, type SidecarFlags } from "./sidecar.js";

interface Flags extends SidecarFlags {
  workerThreads: number;
  timeout?: number;
  resync?: number;
  reconcileSync?: number;
  defaultFstype?: string;
  retryIntervalStart?: number;
  retryIntervalMax?: number;
}

export function registerCsiAttacher(program: Command): void {
  const command = sidecarCommand(
    program,
    "csi-attacher",
    "attach and detach volumes through a CSI driver for its VolumeAttachments (external-attacher)",
  )
    .option("--worker-threads <n>", "concurrent VolumeAttachment and PV syncs", positiveIntFlag, 10)
    .option(
      "--timeout <duration>",
      "deadline of each ControllerPublish/ControllerUnpublish call (default: 15s)",
      durationFlag,
    )
    .option("--resync <duration>", "how often every VolumeAttachment is revisited (default: 1m)", durationFlag)
    .option(
      "--reconcile-sync <duration>",
      "how often attachments are checked against the driver's ListVolumes; 0 disables (default: 1m)",
      durationFlag,
    )
    .option("--default-fstype <type>", "fsType for PVs that name none");
  retryIntervalOptions(command, "attach or detach").action((flags: Flags) =>
    runSidecar(program, "csi-attacher", flags, (sidecar) =>
      startAttacher({
        ...sidecar,
        workers: flags.workerThreads,
        timeoutMs: flags.timeout ?? 15_000,
        resyncPeriodMs: flags.resync ?? 60_000,
        reconcilePeriodMs: flags.reconcileSync ?? 60_000,
        defaultFsType: flags.defaultFstype ?? "",
        retryIntervalStartMs: flags.retryIntervalStart,
        retryIntervalMaxMs: flags.retryIntervalMax,
      }),
    ),
  );
}
