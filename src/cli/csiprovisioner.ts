// `stowage csi-provisioner --csi-address unix://… --kubeconfig <file>`: external-provisioner's job for one CSI
// driver against a (possibly remote) apiserver: claims annotated for the driver → CreateVolume → PV; Released
// Delete-policy PVs → DeleteVolume. `stowage up` runs the same loops in-process through startProvisioner.
import type { Command } from "commander";
import { startProvisioner } from "../csi/sidecars/provisioner/controller.js";
import { durationFlag, positiveIntFlag } from "./flags.js";
import { retryIntervalOptions, runSidecar, sidecarCommand, type SidecarFlags } from "./sidecar.js";

interface Flags extends SidecarFlags {
  workerThreads: number;
  timeout?: number;
  resyncPeriod?: number;
  extraCreateMetadata?: boolean;
  defaultFstype?: string;
  strictTopology?: boolean;
  immediateTopology: boolean;
  retryIntervalStart?: number;
  retryIntervalMax?: number;
}

export function registerCsiProvisioner(program: Command): void {
  const command = sidecarCommand(
    program,
    "csi-provisioner",
    "provision and delete volumes through a CSI driver for claims that name it (external-provisioner)",
  )
    .option("--worker-threads <n>", "concurrent claim and volume syncs", positiveIntFlag, 100)
    .option("--timeout <duration>", "deadline of each CreateVolume/DeleteVolume call (default: 10s)", durationFlag)
    .option("--resync-period <duration>", "how often every claim and volume is revisited (default: 1m)", durationFlag)
    .option("--extra-create-metadata", "pass csi.storage.k8s.io/pvc/name, pvc/namespace and pv/name to CreateVolume")
    .option("--default-fstype <type>", "fsType when the StorageClass names none")
    .option("--strict-topology", "only the selected node's topology is requisite for WaitForFirstConsumer claims")
    .option("--no-immediate-topology", "send no topology requirement for Immediate claims without allowedTopologies");
  retryIntervalOptions(command, "provisioning or deletion").action((flags: Flags) =>
    runSidecar(program, "csi-provisioner", flags, (sidecar) =>
      startProvisioner({
        ...sidecar,
        workers: flags.workerThreads,
        timeoutMs: flags.timeout ?? 10_000,
        resyncPeriodMs: flags.resyncPeriod ?? 60_000,
        extraCreateMetadata: flags.extraCreateMetadata ?? false,
        defaultFsType: flags.defaultFstype ?? "",
        strictTopology: flags.strictTopology ?? false,
        immediateTopology: flags.immediateTopology,
        retryIntervalStartMs: flags.retryIntervalStart,
        retryIntervalMaxMs: flags.retryIntervalMax,
      }),
    ),
  );
}
