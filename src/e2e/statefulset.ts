// Shared helpers for the StatefulSet kubectl tests: a stowage with storage on a temp dir, the seeds' mysql set,
// and waits phrased as a user would check them with kubectl.
import { join } from "node:path";
import type { TestContext } from "node:test";
import type { StatefulSet } from "../api/apps/types.js";
import type { Pod } from "../api/core/types.js";
import { ControllerRevisionHashLabel } from "../api/wellknown.js";
import { nodeName } from "../cli/storage.js";
import { eventually, type Stowage } from "./stowage.js";
import { startUpWorld } from "./upworld.js";

export const mysqlManifest = join(import.meta.dirname, "..", "controllers", "statefulset", "testdata", "mysql.yaml");

/** stowage up (apiserver, controllers, one node with runtime none, hostpath storage) on its own temp dir. */
export const startWorld = (t: TestContext): Promise<{ s: Stowage; dataDir: string }> =>
  startUpWorld(t, "stowage-statefulset-");

export async function getJson<T>(s: Stowage, ...args: string[]): Promise<T> {
  return JSON.parse(await s.kubectl("get", ...args, "-o", "json")) as T;
}

/** Where the node publishes a pod's CSI volume: the bytes the pod sees. */
export const publishPath = (dataDir: string, pod: Pod, pv: string): string =>
  join(dataDir, "nodes", nodeName(1), "pods", pod.metadata.uid ?? "", "volumes", "kubernetes.io~csi", pv, "mount");

export const isReady = (pod: Pod): boolean =>
  pod.status?.phase === "Running" &&
  (pod.status.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");

export const revisionOf = (pod: Pod): string => pod.metadata.labels?.[ControllerRevisionHashLabel] ?? "";

/** Waits until exactly these pods exist, all Running and Ready, none terminating; returns them by name. */
export async function allRunning(s: Stowage, names: string[], timeoutMs = 45_000): Promise<Map<string, Pod>> {
  return eventually(async () => {
    const pods = await getJson<{ items: Pod[] }>(s, "pods", "-l", "app=mysql");
    const got = pods.items.map((p) => p.metadata.name ?? "").sort();
    if (JSON.stringify(got) !== JSON.stringify(names)) return undefined;
    if (!pods.items.every((p) => isReady(p) && !p.metadata.deletionTimestamp)) return undefined;
    return new Map(pods.items.map((p) => [p.metadata.name ?? "", p]));
  }, timeoutMs);
}

/** Waits until the set's status satisfies `check` (status is written after the pods change). */
export async function setWhere(s: Stowage, check: (set: StatefulSet) => boolean, timeoutMs = 30_000) {
  return eventually(async () => {
    const set = await getJson<StatefulSet>(s, "statefulset", "mysql");
    return check(set) ? set : undefined;
  }, timeoutMs);
}

/** kubectl patch statefulset mysql --type=merge -p <patch>. */
export const patchMysql = (s: Stowage, patch: string): Promise<string> =>
  s.kubectl("patch", "statefulset", "mysql", "--type=merge", "-p", patch);
