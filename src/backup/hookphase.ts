// When a backup runs its hooks: the pre hooks once, before its first snapshot; the post hooks once, when every
// claim's snapshot is taken (the freeze lasts no longer than the snapshots) — or when the backup fails after its
// pre hooks ran, so a frozen application is never left frozen. status.hookStatus records each phase as done, so
// a later pass (or a restarted controller) runs neither twice.
import type { Backup, BackupHookStatus } from "../api/backup/types.js";
import type { PersistentVolumeClaim } from "../api/core/types.js";
import type { Client } from "../client/index.js";
import { isNotFound } from "../client/index.js";
import { HookError, hookPods, runHooks, type HookPhase, type HookRun, type PodExecutor } from "./hooks.js";
import { moverNames } from "./mover.js";
import { backupResource } from "./resources.js";

export interface HookPhaseContext {
  client: Client;
  log: (message: string, fields?: Record<string, unknown>) => void;
  exec?: PodExecutor;
}

const doneField = { pre: "preHooksDone", post: "postHooksDone" } as const;

/** Runs the phase's hooks unless status says they ran; throws HookError when one with on-error Fail failed. */
export async function runHookPhase(
  ctx: HookPhaseContext,
  backup: Backup,
  namespaces: string[],
  phase: HookPhase,
): Promise<void> {
  const backups = ctx.client.resource(backupResource);
  const current = await backups.get(backup.metadata.namespace ?? "", backup.metadata.name ?? "");
  if (current.status?.hookStatus?.[doneField[phase]]) return;
  if (phase === "post" && !current.status?.hookStatus?.preHooksDone) return;
  let run: HookRun = { attempted: 0, failed: 0 };
  let failure: unknown;
  try {
    run = await runHooks(ctx.exec, current, await hookPods(ctx.client, current, namespaces), phase, ctx.log);
  } catch (err) {
    if (!(err instanceof HookError)) throw err;
    failure = err;
    run = { attempted: 1, failed: 1 }; // at least the one that stopped it; the others before it are not counted again
  }
  const latest = await backups.get(current.metadata.namespace ?? "", current.metadata.name ?? "");
  const previous = latest.status?.hookStatus ?? {};
  const hookStatus: BackupHookStatus = {
    ...previous,
    hooksAttempted: (previous.hooksAttempted ?? 0) + run.attempted,
    hooksFailed: (previous.hooksFailed ?? 0) + run.failed,
    [doneField[phase]]: true,
  };
  await backups.updateStatus({ ...latest, status: { ...latest.status, hookStatus } });
  if (failure) throw failure;
}

/** After a failure: the post hooks still run (their own failures only logged), so nothing stays frozen. */
export async function runPostHooksAfterFailure(ctx: HookPhaseContext, backup: Backup, namespaces: string[]) {
  try {
    await runHookPhase(ctx, backup, namespaces, "post");
  } catch (err) {
    ctx.log("post hooks after a failed backup", { backup: backup.metadata.name, err: String(err) });
  }
}

/** True once every claim's snapshot is ready to use (or its data already in the repository). */
export async function snapshotsTaken(
  client: Client,
  owner: string,
  claims: PersistentVolumeClaim[],
  inRepository: (claim: PersistentVolumeClaim) => boolean,
): Promise<boolean> {
  for (const claim of claims) {
    if (inRepository(claim)) continue;
    const name = moverNames(owner, claim.metadata.name ?? "").snapshot;
    const snapshot = await client.volumeSnapshots.get(claim.metadata.namespace ?? "", name).catch((err: unknown) => {
      if (!isNotFound(err)) throw err;
      return undefined;
    });
    if (!snapshot?.status?.readyToUse) return false;
  }
  return true;
}
