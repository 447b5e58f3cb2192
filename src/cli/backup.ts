// `stowage backup …`: Velero's `velero backup` verbs, and `control-plane` for the store itself.
import type { Command } from "commander";
import { kubeconfigFlag } from "./flags.js";
import { kubeconfigFile } from "./kubeconfig.js";
import { backupControlPlane } from "./controlplanebackup.js";

interface ControlPlaneFlags {
  to: string;
  dataDir: string;
  kubeconfig?: string;
}

export function registerBackup(program: Command): void {
  const backup = program.command("backup").description("back up the control plane, or namespaces with their data");
  backup
    .command("control-plane")
    .description(
      "take a consistent copy of the whole store while the apiserver serves (SQLite: its own file; etcd: a " +
        "snapshot), as the cluster admin; bring it back with `stowage restore control-plane`",
    )
    .requiredOption("--to <file>", "where to write the copy (must not exist)")
    .option("--data-dir <dir>", "the data dir of `stowage up`, whose admin kubeconfig is used", ".stowage")
    .option("--kubeconfig <file>", "reach the apiserver with this kubeconfig instead of the data dir's")
    .action(async (flags: ControlPlaneFlags) => {
      const kubeconfig = kubeconfigFlag(program, flags.kubeconfig ?? kubeconfigFile(flags.dataDir));
      try {
        const taken = await backupControlPlane(kubeconfig, flags.to);
        const mib = (taken.bytes / (1 << 20)).toFixed(1);
        console.log(`Backed up the control plane at revision ${taken.revision} to ${taken.file} (${mib} MiB)`);
      } catch (err) {
        program.error(`error: stowage backup control-plane: ${(err as Error).message}`, { exitCode: 1 });
      }
    });
}
