// `stowage backup …`: Velero's `velero backup` verbs, and `control-plane` for the store itself.
import type { Command } from "commander";
import { kubeconfigFlag } from "./flags.js";
import { kubeconfigFile } from "./kubeconfig.js";
import { backupControlPlane } from "./controlplanebackup.js";
import { addConnectionFlags, clientOf, ensureNamespace, waitAndReport, type ConnectionFlags } from "./backupclient.js";
import { backupResource } from "../backup/resources.js";
import { registerBackupVerbs } from "./backupverbs.js";
import { parseLabelSelector } from "../api/selectors/labels.js";

interface CreateFlags extends ConnectionFlags {
  includeNamespaces?: string;
  excludeNamespaces?: string;
  selector?: string;
  storageLocation?: string;
  ttl?: string;
  snapshotVolumes: boolean;
  wait?: boolean;
}

export const list = (text: string | undefined) =>
  text
    ? text
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean)
    : undefined;

/** "app=web,tier=db" → a LabelSelector's matchLabels (Velero's --selector takes equality only too). */
export function matchLabels(program: Command, text: string | undefined): Record<string, string> | undefined {
  if (!text) return undefined;
  try {
    parseLabelSelector(text);
  } catch (err) {
    program.error(`error: --selector: ${(err as Error).message}`, { exitCode: 2 });
  }
  return Object.fromEntries(text.split(",").map((pair) => pair.split("=", 2) as [string, string]));
}

interface ControlPlaneFlags {
  to: string;
  dataDir: string;
  kubeconfig?: string;
}

export function registerBackup(program: Command): void {
  const backup = program.command("backup").description("back up the control plane, or namespaces with their data");
  addConnectionFlags(
    backup
      .command("create <name>")
      .description("back up namespaces' objects and their claims' data (through CSI snapshots) to a location")
      .option("--include-namespaces <ns,...>", "namespaces to back up (default: all)")
      .option("--exclude-namespaces <ns,...>", "namespaces to leave out")
      .option("-l, --selector <labels>", "only objects with these labels, e.g. app=web")
      .option("--storage-location <name>", "the backup storage location (default: the default one)")
      .option("--ttl <duration>", "how long to keep the backup, e.g. 720h0m0s")
      .option("--no-snapshot-volumes", "objects only: leave the claims' data out")
      .option("--wait", "wait for the backup to finish, printing its progress"),
  ).action(async (name: string, flags: CreateFlags) => {
    const client = clientOf(program, flags);
    const backups = client.resource(backupResource);
    try {
      await ensureNamespace(client, flags.namespace);
      const labels = matchLabels(program, flags.selector);
      await backups.create({
        metadata: { name, namespace: flags.namespace },
        spec: {
          ...(list(flags.includeNamespaces) ? { includedNamespaces: list(flags.includeNamespaces) } : {}),
          ...(list(flags.excludeNamespaces) ? { excludedNamespaces: list(flags.excludeNamespaces) } : {}),
          ...(labels ? { labelSelector: { matchLabels: labels } } : {}),
          ...(flags.storageLocation ? { storageLocation: flags.storageLocation } : {}),
          ...(flags.ttl ? { ttl: flags.ttl } : {}),
          snapshotVolumes: flags.snapshotVolumes,
        },
      });
      console.log(`Backup request "${name}" submitted successfully.`);
      if (!flags.wait) return;
      const done = await waitAndReport(
        () => backups.get(flags.namespace, name),
        (line) => console.log(line),
      );
      if (done.status?.phase !== "Completed") {
        const why = done.status?.failureReason ?? done.status?.validationErrors?.join("; ") ?? "";
        program.error(`error: backup "${name}" ended ${done.status?.phase}: ${why}`, { exitCode: 1 });
      }
    } catch (err) {
      program.error(`error: stowage backup create: ${(err as Error).message}`, { exitCode: 1 });
    }
  });
  registerBackupVerbs(program, backup);
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
