// `stowage csi-snapshotter --csi-address unix://… --kubeconfig <file>`: external-snapshotter's csi-snapshotter
// sidecar for one CSI driver against a (possibly remote) apiserver: VolumeSnapshotContents of the driver →
// CreateSnapshot / ListSnapshots → content status; contents the snapshot controller marked being-deleted →
// DeleteSnapshot. Upstream's snapshot-controller (VolumeSnapshot → VolumeSnapshotContent) is a separate deployment;
// here `stowage controller-manager` (and so `stowage up`) runs it, and `--snapshot-controller` runs it in this
// process instead, for a cluster whose controller-manager is not stowage's (never both: two would race).
import type { Command } from "commander";
import { startSnapshotController } from "../controllers/snapshot/controller.js";
import { startSnapshotter } from "../csi/sidecars/snapshotter/controller.js";
import { durationFlag } from "./flags.js";
import { runSidecar, sidecarCommand, type SidecarFlags } from "./sidecar.js";

interface Flags extends SidecarFlags {
  timeout?: number;
  resyncPeriod?: number;
  snapshotController?: boolean;
}

export function registerCsiSnapshotter(program: Command): void {
  sidecarCommand(
    program,
    "csi-snapshotter",
    "take and delete snapshots through a CSI driver for VolumeSnapshotContents that name it",
  )
    .option("--timeout <duration>", "deadline of each CreateSnapshot/DeleteSnapshot call (default: 1m)", durationFlag)
    .option("--resync-period <duration>", "how often every content is revisited (default: 1m)", durationFlag)
    .option(
      "--snapshot-controller",
      "also run the snapshot controller (VolumeSnapshot → VolumeSnapshotContent); not with stowage controller-manager, which runs it",
    )
    .action((flags: Flags) =>
      runSidecar(program, "csi-snapshotter", flags, async (base) => {
        const sidecar = await startSnapshotter({
          ...base,
          timeoutMs: flags.timeout ?? 60_000,
          resyncPeriodMs: flags.resyncPeriod ?? 60_000,
        });
        const stopping = new AbortController();
        const controller = flags.snapshotController
          ? await startSnapshotController(
              { client: base.client, resyncPeriodMs: flags.resyncPeriod },
              AbortSignal.any([base.signal, stopping.signal]),
            )
          : undefined;
        return {
          driverName: sidecar.driverName,
          async stop() {
            stopping.abort();
            await controller?.done;
            await sidecar.stop();
          },
        };
      }),
    );
}
