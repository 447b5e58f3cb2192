// `stowage schedule create NAME --schedule "CRON" [--ttl 720h] [--include-namespaces …] [--selector …]`: Velero's
// `velero schedule create` and its flags; the backup controller (src/backup/schedule.ts) runs it.
import type { Command } from "commander";
import { addConnectionFlags, clientOf, ensureNamespace, type ConnectionFlags } from "./backupclient.js";
import { list, matchLabels } from "./backup.js";
import { failWith, serverError } from "./backupdescribe.js";
import { scheduleResource } from "../backup/resources.js";

interface CreateFlags extends ConnectionFlags {
  schedule: string;
  includeNamespaces?: string;
  excludeNamespaces?: string;
  selector?: string;
  storageLocation?: string;
  ttl?: string;
  snapshotVolumes: boolean;
  paused?: boolean;
  useOwnerReferencesInBackup?: boolean;
}

export function registerSchedule(program: Command): void {
  const schedule = program.command("schedule").description("back up namespaces on a cron schedule");
  addConnectionFlags(
    schedule
      .command("create <name>")
      .description("make a schedule whose backups run on a cron expression and expire after --ttl")
      .requiredOption("--schedule <cron>", 'a cron expression ("0 1 * * *"), a descriptor (@daily) or "@every 6h"')
      .option("--include-namespaces <ns,...>", "namespaces to back up (default: all)")
      .option("--exclude-namespaces <ns,...>", "namespaces to leave out")
      .option("-l, --selector <labels>", "only objects with these labels, e.g. app=web")
      .option("--storage-location <name>", "the backup storage location (default: the default one)")
      .option("--ttl <duration>", "how long to keep each backup, e.g. 720h0m0s (default 720h)")
      .option("--no-snapshot-volumes", "objects only: leave the claims' data out")
      .option("--paused", "make the schedule paused: no backups until it is unpaused")
      .option("--use-owner-references-in-backup", "the schedule owns its backups: deleting it deletes them"),
  ).action(async (name: string, flags: CreateFlags) => {
    const client = clientOf(program, flags);
    const labels = matchLabels(program, flags.selector);
    const included = list(flags.includeNamespaces);
    const excluded = list(flags.excludeNamespaces);
    try {
      await ensureNamespace(client, flags.namespace);
      await client.resource(scheduleResource).create({
        metadata: { name, namespace: flags.namespace },
        spec: {
          schedule: flags.schedule,
          template: {
            ...(included ? { includedNamespaces: included } : {}),
            ...(excluded ? { excludedNamespaces: excluded } : {}),
            ...(labels ? { labelSelector: { matchLabels: labels } } : {}),
            ...(flags.storageLocation ? { storageLocation: flags.storageLocation } : {}),
            ...(flags.ttl ? { ttl: flags.ttl } : {}),
            snapshotVolumes: flags.snapshotVolumes,
          },
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
