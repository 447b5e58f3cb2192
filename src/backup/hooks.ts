// Backup hooks, as Velero runs them: commands exec'd in a pod's container (through pods/exec, as kubectl exec)
// before the backup snapshots its claims ("pre", e.g. fsfreeze or a database flush) and once the snapshots are
// taken ("post", the thaw). A pod's own annotations name its hooks; without them, Backup.spec.hooks.resources
// that select the pod do. on-error Fail (the default) fails the backup; Continue counts the failure and goes on.
//
// Annotations: both `pre.hook.backup.stowage.dev/*` and Velero's own `pre.hook.backup.velero.io/*` are read, the
// first winning. Users copy hook annotations from Velero's documentation and from charts that already carry them
// (bitnami's databases do); refusing those would silently skip the freeze they rely on.
import type { Backup, BackupResourceHookSpec, ExecHook } from "../api/backup/types.js";
import type { Pod } from "../api/core/types.js";
import { parseGoDuration } from "../api/backup/common.js";
import { labelMatcherFromSelector } from "../api/selectors/labels.js";
import type { Client } from "../client/index.js";
import { moverLabel } from "./resources.js";

export type HookPhase = "pre" | "post";

/** What exec'ing a command in a container came to: its exit code, or an error (timeout, no such container). */
export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs a command in a pod's container through the apiserver's pods/exec; rejects when it outlives `timeoutMs`. */
export type PodExecutor = (
  target: { namespace: string; pod: string; container: string },
  command: string[],
  timeoutMs: number,
) => Promise<ExecResult>;

/** One hook to run in one pod. */
export interface PodHook {
  /** The spec.hooks.resources name, or Velero's "<from-annotation>". */
  name: string;
  container: string;
  command: string[];
  onError: "Continue" | "Fail";
  timeoutMs: number;
}

export const fromAnnotation = "<from-annotation>";
/** Velero's default hook timeout. */
const defaultTimeoutMs = 30_000;
const annotationGroups = ["backup.stowage.dev", "backup.velero.io"];

/** Velero's command annotation: a JSON array of words, or one word (no shell) when it is not one. */
function parseCommand(text: string): string[] | undefined {
  const trimmed = text.trim();
  if (!trimmed) return undefined;
  if (!trimmed.startsWith("[")) return [trimmed];
  try {
    const words: unknown = JSON.parse(trimmed);
    return Array.isArray(words) && words.every((w) => typeof w === "string") ? words : undefined;
  } catch {
    return undefined;
  }
}

/** A hook as the pod's annotations give it; an annotation that cannot be parsed fails the backup and says so. */
function annotationHook(pod: Pod, phase: HookPhase): PodHook | undefined {
  const annotations = pod.metadata.annotations ?? {};
  for (const group of annotationGroups) {
    const key = (field: string) => `${phase}.hook.${group}/${field}`;
    const text = annotations[key("command")];
    if (text === undefined) continue;
    const command = parseCommand(text);
    if (!command) throw new HookError(`annotation ${key("command")} of pod ${podName(pod)} is not a command: ${text}`);
    const onError = annotations[key("on-error")] ?? "Fail";
    if (onError !== "Fail" && onError !== "Continue")
      throw new HookError(`annotation ${key("on-error")} of pod ${podName(pod)} must be Fail or Continue: ${onError}`);
    const timeout = annotations[key("timeout")];
    const timeoutMs = timeout === undefined ? defaultTimeoutMs : parseGoDuration(timeout);
    if (timeoutMs === undefined)
      throw new HookError(`annotation ${key("timeout")} of pod ${podName(pod)} must be a duration such as 30s`);
    const container = annotations[key("container")] ?? pod.spec.containers[0]?.name ?? "";
    return { name: fromAnnotation, container, command, onError, timeoutMs };
  }
  return undefined;
}

const selects = (spec: BackupResourceHookSpec, pod: Pod): boolean => {
  const namespace = pod.metadata.namespace ?? "";
  const included = spec.includedNamespaces?.length ? spec.includedNamespaces : ["*"];
  if (!included.includes("*") && !included.includes(namespace)) return false;
  if (spec.excludedNamespaces?.includes(namespace)) return false;
  return !spec.labelSelector || labelMatcherFromSelector(spec.labelSelector).matches(pod.metadata.labels);
};

const specHook = (name: string, pod: Pod, exec: ExecHook): PodHook => ({
  name,
  container: exec.container ?? pod.spec.containers[0]?.name ?? "",
  command: exec.command,
  onError: exec.onError ?? "Fail",
  timeoutMs: parseGoDuration(exec.timeout ?? "") ?? defaultTimeoutMs,
});

/** The pod's hooks for a phase: its annotation's if it has one (Velero: annotations win), else the spec's. */
export function hooksFor(backup: Backup, pod: Pod, phase: HookPhase): PodHook[] {
  const own = annotationHook(pod, phase);
  if (own) return [own];
  return (backup.spec.hooks?.resources ?? [])
    .filter((spec) => selects(spec, pod))
    .flatMap((spec) => (spec[phase] ?? []).map((hook) => specHook(spec.name, pod, hook.exec)));
}

/** A hook that failed with on-error Fail, or hooks that cannot be run: the backup fails with this message. */
export class HookError extends Error {}

export const podName = (pod: Pod) => `${pod.metadata.namespace}/${pod.metadata.name}`;

/** The pods a backup runs hooks in: those it takes, running now (Velero skips pods that are not). */
export async function hookPods(client: Client, backup: Backup, namespaces: string[]): Promise<Pod[]> {
  const spec = backup.spec;
  if (spec.excludedResources?.includes("pods")) return [];
  if (spec.includedResources?.length && !spec.includedResources.includes("pods")) return [];
  const matches = spec.labelSelector ? labelMatcherFromSelector(spec.labelSelector) : undefined;
  const pods: Pod[] = [];
  for (const namespace of namespaces) {
    for (const pod of (await client.pods.list({ namespace })).items) {
      if (pod.metadata.labels?.[moverLabel] || pod.status?.phase !== "Running") continue;
      if (matches && !matches.matches(pod.metadata.labels)) continue;
      pods.push(pod);
    }
  }
  return pods;
}

export interface HookRun {
  attempted: number;
  failed: number;
}

/**
 * Runs every pod's hooks of one phase, pod by pod, in order. A failure with on-error Fail stops there and
 * throws, naming the pod, the container and the hook; Continue counts it.
 */
export async function runHooks(
  exec: PodExecutor | undefined,
  backup: Backup,
  pods: Pod[],
  phase: HookPhase,
  log: (message: string, fields?: Record<string, unknown>) => void,
): Promise<HookRun> {
  const run: HookRun = { attempted: 0, failed: 0 };
  for (const pod of pods) {
    for (const hook of hooksFor(backup, pod, phase)) {
      run.attempted++;
      const what = `${phase} hook ${hook.name} in container ${hook.container} of pod ${podName(pod)}`;
      const failure = await runOne(exec, pod, hook);
      if (failure === undefined) continue;
      run.failed++;
      log(`${what} failed`, { error: failure, onError: hook.onError });
      if (hook.onError === "Fail") throw new HookError(`${what} failed: ${failure}`);
    }
  }
  return run;
}

/** undefined when the command exited 0; otherwise what went wrong, in a few words. */
async function runOne(exec: PodExecutor | undefined, pod: Pod, hook: PodHook): Promise<string | undefined> {
  if (!exec) return "this backup controller cannot exec in pods (no pods/exec connection)";
  try {
    const target = { namespace: pod.metadata.namespace ?? "", pod: pod.metadata.name ?? "", container: hook.container };
    const result = await exec(target, hook.command, hook.timeoutMs);
    if (result.exitCode === 0) return undefined;
    const stderr = result.stderr.trim();
    return `command terminated with exit code ${result.exitCode}${stderr ? `: ${stderr}` : ""}`;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}
