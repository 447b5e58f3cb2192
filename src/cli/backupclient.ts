// What the Velero-style commands share: the client they reach the apiserver with, the namespace the backup
// objects live in, and waiting for a Backup or Restore to finish while printing its progress.
import type { Command } from "commander";
import { createClient, httpTransport, isAlreadyExists, type Client } from "../client/index.js";
import type { KubeObject } from "../api/meta.js";
import { kubeconfigFlag } from "./flags.js";
import { kubeconfigFile } from "./kubeconfig.js";

/** Velero keeps its objects in namespace "velero"; ours live in this one unless -n says otherwise. */
export const defaultBackupNamespace = "stowage-backup";

export interface ConnectionFlags {
  dataDir: string;
  kubeconfig?: string;
  namespace: string;
}

export function addConnectionFlags(command: Command): Command {
  return command
    .option("--data-dir <dir>", "the data dir of `stowage up`, whose admin kubeconfig is used", ".stowage")
    .option("--kubeconfig <file>", "reach the apiserver with this kubeconfig instead of the data dir's")
    .option("-n, --namespace <ns>", "where the backup objects live", defaultBackupNamespace);
}

export function clientOf(program: Command, flags: ConnectionFlags): Client {
  return createClient(httpTransport(kubeconfigFlag(program, flags.kubeconfig ?? kubeconfigFile(flags.dataDir))));
}

export async function ensureNamespace(client: Client, name: string): Promise<void> {
  try {
    await client.namespaces.create({ metadata: { name } });
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
}

interface Progressing extends KubeObject {
  status?: {
    phase?: string;
    progress?: { totalItems?: number; itemsBackedUp?: number; itemsRestored?: number; bytesDone?: number };
    failureReason?: string;
    validationErrors?: string[];
  };
}

const finished = new Set(["Completed", "PartiallyFailed", "Failed", "FailedValidation"]);
const mib = (bytes: number) => (bytes / (1 << 20)).toFixed(1);

/** Polls until the object's phase is final, printing a line whenever its progress changes; returns the phase. */
export async function waitAndReport<T extends Progressing>(
  get: () => Promise<T>,
  say: (line: string) => void,
): Promise<T> {
  const started = Date.now();
  let last = "";
  for (;;) {
    const object = await get();
    const status = object.status ?? {};
    const progress = status.progress ?? {};
    const done = progress.itemsBackedUp ?? progress.itemsRestored ?? 0;
    const bytes = progress.bytesDone ?? 0;
    const seconds = (Date.now() - started) / 1000;
    const rate = seconds > 0 ? bytes / seconds : 0;
    const total = progress.totalItems;
    const eta =
      !finished.has(status.phase ?? "") && total && done > 0 && done < total
        ? `, ETA ${Math.ceil((seconds / done) * (total - done))}s`
        : "";
    const line =
      `${status.phase ?? "New"}: ${done}/${total ?? "?"} objects, ${mib(bytes)} MiB moved ` +
      `(${mib(rate)} MiB/s)${eta}`;
    if (line !== last) say(line);
    last = line;
    if (finished.has(status.phase ?? "")) return object;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
