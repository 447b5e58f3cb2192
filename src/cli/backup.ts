// `stowage backup …`: Velero's `velero backup` verbs, and `control-plane` for the store itself.
import type { Command } from "commander";
import { kubeconfigFlag } from "./flags.js";
import { kubeconfigFile } from "./kubeconfig.js";
import { backupControlPlane } from "./controlplanebackup.js";
import { addConnectionFlags, clientOf, ensureNamespace, waitAndReport, type ConnectionFlags } from "./backupclient.js";
import { backupResource } from "../backup/resources.js";
import { registerBackupVerbs } from "./backupverbs.js";
import { parseLabelSelector } from "../api/selectors/labels.js";
import type { BackupSpec } from "../api/backup/types.js";

/** The flags `backup create` and `schedule create` share, Velero's: what to back up, where, for how long. */
export interface BackupSpecFlags extends ConnectionFlags {
  includeNamespaces?: string;
  excludeNamespaces?: string;
  selector?: string;
  storageLocation?: string;
  ttl?: string;
  snapshotVolumes: boolean;
}

interface CreateFlags extends BackupSpecFlags {
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

/** Adds the BackupSpecFlags to a command; the --ttl help says whose backups expire. */
export function addBackupSpecFlags(command: Command, ttlHelp: string): Command {
  return command
    .option("--include-namespaces <ns,...>", "namespaces to back up (default: all)")
    .option("--exclude-namespaces <ns,...>", "namespaces to leave out")
    .option("-l, --selector <labels>", "only objects with these labels, e.g. app=web")
    .option("--storage-location <name>", "the backup storage location (default: the default one)")
    .option("--ttl <duration>", ttlHelp)
    .option("--no-snapshot-volumes", "objects only: leave the claims' data out");
}

/** The BackupSpec those flags ask for (a Schedule's template is one too); only the flags given are set. */
export function backupSpecOf(program: Command, flags: BackupSpecFlags): BackupSpec {
  const included = list(flags.includeNamespaces);
  const excluded = list(flags.excludeNamespaces);
  const labels = matchLabels(program, flags.selector);
  return {
    ...(included ? { includedNamespaces: included } : {}),
    ...(excluded ? { excludedNamespaces: excluded } : {}),
    ...(labels ? { labelSelector: { matchLabels: labels } } : {}),
    ...(flags.storageLocation ? { storageLocation: flags.storageLocation } : {}),
    ...(flags.ttl ? { ttl: flags.ttl } : {}),
    snapshotVolumes: flags.snapshotVolumes,
  };
}

interface ControlPlaneFlags {
  to: string;
  dataDir: string;
  kubeconfig?: string;
}

export function registerBackup(program: Command): void {
  const backup = program.command("backup").description("back up the control plane, or namespaces with their data");
  addConnectionFlags(
    addBackupSpecFlags(
      backup
        .command("create <name>")
        .description("back up namespaces' objects and their claims' data (through CSI snapshots) to a location"),
      "how long to keep the backup, e.g. 720h0m0s",
    ).option("--wait", "wait for the backup to finish, printing its progress"),
  ).action(async (name: string, flags: CreateFlags) => {
    const client = clientOf(program, flags);
    const backups = client.resource(backupResource);
    try {
      await ensureNamespace(client, flags.namespace);
      await backups.create({ metadata: { name, namespace: flags.namespace }, spec: backupSpecOf(program, flags) });
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
