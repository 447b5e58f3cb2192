// `stowage backup describe|logs|delete NAME`: Velero's verbs on one Backup. A name that is not there is the
// apiserver's NotFound, printed as kubectl prints it; delete removes the backup's data as TTL pruning does (the
// backup controller's finalizer, src/backup/gc.ts), so `kubectl delete backup` does the same.
import type { Command } from "commander";
import { addConnectionFlags, clientOf, type ConnectionFlags } from "./backupclient.js";
import { backupLogs, describeBackup, failWith, serverError } from "./backupdescribe.js";
import { backupResource } from "../backup/resources.js";

interface DeleteFlags extends ConnectionFlags {
  confirm?: boolean;
}

export function registerBackupVerbs(program: Command, backup: Command): void {
  addConnectionFlags(
    backup.command("describe <name>").description("show a backup: phase, what it took, its volumes' bytes, times"),
  ).action(async (name: string, flags: ConnectionFlags) => {
    try {
      process.stdout.write(await describeBackup(clientOf(program, flags), flags.namespace, name));
    } catch (err) {
      failWith(serverError(err));
    }
  });
  addConnectionFlags(
    backup.command("logs <name>").description("show what a backup did, step by step, from its location"),
  ).action(async (name: string, flags: ConnectionFlags) => {
    try {
      process.stdout.write(await backupLogs(clientOf(program, flags), flags.namespace, name));
    } catch (err) {
      failWith(serverError(err));
    }
  });
  addConnectionFlags(
    backup
      .command("delete <name>")
      .description("delete a backup and its data in the location (what no other backup uses)")
      .option("--confirm", "delete without asking"),
  ).action(async (name: string, flags: DeleteFlags) => {
    // Velero asks "Are you sure you want to continue (Y/N)?"; without a terminal to ask on, --confirm is the answer.
    if (!flags.confirm) {
      program.error(`error: deleting backup "${name}" removes its data for good: run again with --confirm`, {
        exitCode: 2,
      });
    }
    try {
      await clientOf(program, flags).resource(backupResource).delete(flags.namespace, name);
    } catch (err) {
      failWith(serverError(err));
    }
    console.log(`Request to delete backup "${name}" submitted successfully.`);
    console.log("The backup will be fully deleted after all associated data (backup files, volume data) are removed.");
  });
}
