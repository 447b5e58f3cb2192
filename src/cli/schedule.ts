// `stowage schedule create NAME --schedule "CRON" [--ttl 720h] [--include-namespaces …] [--selector …]`: Velero's
// `velero schedule create` and its flags; the backup controller (src/backup/schedule.ts) runs it.
import type { Command } from "commander";
import { addConnectionFlags, clientOf, ensureNamespace } from "./backupclient.js";
import { addBackupSpecFlags, backupSpecOf, type BackupSpecFlags } from "./backup.js";
import { failWith, serverError } from "./backupdescribe.js";
import { scheduleResource } from "../backup/resources.js";

interface CreateFlags extends BackupSpecFlags {
  schedule: string;
  paused?: boolean;
  useOwnerReferencesInBackup?: boolean;
}

export function registerSchedule(program: Command): void {
  const schedule = program.command("schedule").description("back up namespaces on a cron schedule");
  addConnectionFlags(
    addBackupSpecFlags(
      schedule
        .command("create <name>")
        .description("make a schedule whose backups run on a cron expression and expire after --ttl")
        .requiredOption("--schedule <cron>", 'a cron expression ("0 1 * * *"), a descriptor (@daily) or "@every 6h"'),
      "how long to keep each backup, e.g. 720h0m0s (default 720h)",
    )
      .option("--paused", "make the schedule paused: no backups until it is unpaused")
      .option("--use-owner-references-in-backup", "the schedule owns its backups: deleting it deletes them"),
  ).action(async (name: string, flags: CreateFlags) => {
    const client = clientOf(program, flags);
    const template = backupSpecOf(program, flags);
    try {
      await ensureNamespace(client, flags.namespace);
      await client.resource(scheduleResource).create({
        metadata: { name, namespace: flags.namespace },
        spec: {
          schedule: flags.schedule,
          template,
          ...(flags.paused ? { paused: true } : {}),
          ...(flags.useOwnerReferencesInBackup ? { useOwnerReferencesInBackup: true } : {}),
        },
      });
    } catch (err) {
      failWith(serverError(err));
    }
    console.log(`Schedule "${name}" created successfully.`);
  });
}
