// `stowage backup describe NAME` and `stowage backup logs NAME`, as Velero's: what a Backup took (phase,
// namespaces, resources, each claim's data with its bytes, errors, times, expiration) and the story of its run.
// Velero uploads a log file per backup to its location; ours is told again from what the location and the Backup
// hold (the Backup's status and its restic snapshots, each stamped with its time), which outlives the controller and
// its pods and reaches a second stowage sharing the location the same way.
import { CommanderError } from "commander";
import type { Backup } from "../api/backup/types.js";
import type { Client } from "../client/index.js";
import { ApiError } from "../client/index.js";
import { LocationError, repositoryOf } from "../backup/location.js";
import { ResticError, snapshots, volumeStats, type ResticSnapshot } from "../backup/restic.js";
import { backupResource, backupTag, manifestTag } from "../backup/resources.js";

/** kubectl's wording for an answer from the server: `Error from server (NotFound): backups… "x" not found`. */
export function serverError(err: unknown): string {
  if (err instanceof ApiError) return `Error from server (${err.reason}): ${err.message}`;
  return `error: ${err instanceof Error ? err.message : String(err)}`;
}

/** Ends the command with `line` as kubectl would end it: the error alone (no usage after it), exit 1. */
export function failWith(line: string): never {
  process.stderr.write(`${line}\n`);
  throw new CommanderError(1, "stowage.failed", line);
}

interface ClaimData {
  claim: string;
  snapshot: ResticSnapshot;
  bytes?: number;
}

/** The backup's restic snapshots (its objects, and each claim's data), or why they cannot be read. */
async function saved(client: Client, backup: Backup, withBytes: boolean) {
  const namespace = backup.metadata.namespace ?? "";
  try {
    const { repository } = await repositoryOf(client, namespace, backup.spec.storageLocation);
    const taken = await snapshots(repository, [backupTag(backup.metadata.name ?? "")]);
    const claims: ClaimData[] = [];
    for (const snapshot of taken) {
      const claim = snapshot.tags?.find((tag) => tag.startsWith("claim="))?.slice("claim=".length);
      if (!claim) continue;
      claims.push({ claim, snapshot, ...(withBytes ? { bytes: await volumeStats(repository, snapshot.id) } : {}) });
    }
    return { objects: taken.find((s) => s.tags?.includes(manifestTag)), claims };
  } catch (err) {
    if (err instanceof LocationError || err instanceof ResticError) {
      return { unavailable: err.message, claims: [] as ClaimData[] };
    }
    throw err;
  }
}

const orNone = (values: string[] | undefined, none = "<none>") => (values?.length ? values.join(", ") : none);
const pairs = (map: Record<string, string> | undefined) =>
  map && Object.keys(map).length ? Object.entries(map).map(([k, v]) => `${k}=${v}`) : undefined;

export async function describeBackup(client: Client, namespace: string, name: string): Promise<string> {
  const backup = await client.resource(backupResource).get(namespace, name);
  const { spec, metadata } = backup;
  const status = backup.status ?? {};
  const data = await saved(client, backup, true);
  const lines = [
    `Name:         ${metadata.name}`,
    `Namespace:    ${metadata.namespace}`,
    `Labels:       ${orNone(pairs(metadata.labels))}`,
    `Annotations:  ${orNone(pairs(metadata.annotations))}`,
    "",
    `Phase:  ${status.phase ?? "New"}`,
    ...(status.validationErrors?.length
      ? ["", "Validation errors:", ...status.validationErrors.map((e) => `  ${e}`)]
      : []),
    ...(status.failureReason ? ["", `Failure reason:  ${status.failureReason}`] : []),
    "",
    `Errors:    ${status.errors ?? 0}`,
    `Warnings:  ${status.warnings ?? 0}`,
    "",
    "Namespaces:",
    `  Included:  ${orNone(spec.includedNamespaces, "*")}`,
    `  Excluded:  ${orNone(spec.excludedNamespaces)}`,
    "",
    "Resources:",
    `  Included:  ${orNone(spec.includedResources, "*")}`,
    `  Excluded:  ${orNone(spec.excludedResources)}`,
    "",
    `Label selector:  ${orNone(pairs(spec.labelSelector?.matchLabels))}`,
    "",
    `Storage Location:  ${spec.storageLocation ?? "<default>"}`,
    "",
    `Snapshot PVs:  ${spec.snapshotVolumes === false ? "false" : "true"}`,
    "",
    `TTL:  ${spec.ttl ?? ""}`,
    "",
    `Started:    ${status.startTimestamp ?? "<n/a>"}`,
    `Completed:  ${status.completionTimestamp ?? "<n/a>"}`,
    "",
    `Expiration:  ${status.expiration ?? "<n/a>"}`,
    "",
    `Total items to be backed up:  ${status.progress?.totalItems ?? 0}`,
    `Items backed up:              ${status.progress?.itemsBackedUp ?? 0}`,
    "",
    `Volume data:  ${status.progress?.bytesDone ?? 0} bytes read, ${status.progress?.bytesAdded ?? 0} bytes added`,
    ...("unavailable" in data && data.unavailable
      ? [`  <the location cannot be read: ${data.unavailable}>`]
      : data.claims.length
        ? data.claims.map((c) => `  ${c.claim}: ${c.bytes ?? 0} bytes (restic snapshot ${c.snapshot.short_id})`)
        : ["  <none>"]),
  ];
  return lines.join("\n") + "\n";
}

/** logrus's text format, as Velero's backup logs print. */
const logLine = (time: string | undefined, level: string, msg: string, backup: string) =>
  `time="${time ?? ""}" level=${level} msg="${msg.replace(/"/g, '\\"')}" backup=${backup}`;

export async function backupLogs(client: Client, namespace: string, name: string): Promise<string> {
  const backup = await client.resource(backupResource).get(namespace, name);
  const status = backup.status ?? {};
  const key = `${namespace}/${name}`;
  const line = (time: string | undefined, level: string, msg: string) => logLine(time, level, msg, key);
  const data = await saved(client, backup, false);
  const lines = [
    line(backup.metadata.creationTimestamp, "info", "Backup submitted"),
    ...(status.validationErrors ?? []).map((e) => line(backup.metadata.creationTimestamp, "error", e)),
  ];
  if (status.startTimestamp) {
    const namespaces = orNone(backup.spec.includedNamespaces, "*");
    lines.push(line(status.startTimestamp, "info", `Starting backup of namespaces ${namespaces}`));
  }
  if ("unavailable" in data && data.unavailable) {
    lines.push(line(status.startTimestamp, "warning", `The location cannot be read: ${data.unavailable}`));
  }
  if ("objects" in data && data.objects) {
    const items = status.progress?.totalItems ?? 0;
    lines.push(line(data.objects.time, "info", `Saved ${items} objects to restic snapshot ${data.objects.short_id}`));
  }
  for (const { claim, snapshot } of data.claims) {
    lines.push(
      line(snapshot.time, "info", `Backed up the data of claim ${claim} to restic snapshot ${snapshot.short_id}`),
    );
  }
  const end = status.completionTimestamp;
  if (status.phase === "Failed") lines.push(line(end, "error", `Backup failed: ${status.failureReason ?? ""}`));
  else if (end) lines.push(line(end, "info", `Backup completed with status: ${status.phase ?? ""}`));
  return lines.join("\n") + "\n";
}
