// The world of the ported conformance tests: `stowage up` (secured: HTTPS, the admin's client certificate, RBAC)
// reached the way upstream's e2e framework reaches a cluster, through a generated client (@kubernetes/client-node).
import type { TestContext } from "node:test";
import {
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  StorageV1Api,
  setHeaderOptions,
  type V1Namespace,
} from "@kubernetes/client-node";
import { startUpWorld } from "../upworld.js";
import { eventually } from "../stowage.js";

export interface ConformanceWorld {
  core: CoreV1Api;
  storage: StorageV1Api;
  kubeconfig: string;
  /** A fresh namespace, as upstream's framework makes one per test. */
  namespace(prefix: string): Promise<string>;
}

export async function startConformanceWorld(t: TestContext, prefix: string): Promise<ConformanceWorld> {
  const { s } = await startUpWorld(t, prefix);
  const kc = new KubeConfig();
  kc.loadFromFile(s.kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  let made = 0;
  return {
    core,
    storage: kc.makeApiClient(StorageV1Api),
    kubeconfig: s.kubeconfig,
    async namespace(base) {
      const body: V1Namespace = { metadata: { name: `${base}-${++made}` } };
      return (await core.createNamespace({ body })).metadata?.name ?? "";
    },
  };
}

/** Request options for a JSON merge patch and a strategic merge patch (client-node sends JSON patch otherwise). */
export const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
export const strategicMergePatch = setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch);

/** utilrand.String(5): the suffix upstream's tests give the objects they create. */
export function randomSuffix(): string {
  return Math.random().toString(36).slice(2, 7).padEnd(5, "x");
}

/** Upstream's "Confirm deletion": polls a labelled list until it is empty (30 s, as upstream waits). */
export async function confirmGone(list: () => Promise<{ items: unknown[] }>): Promise<void> {
  await eventually(async () => ((await list()).items.length === 0 ? true : undefined), 30_000);
}

/** retry.RetryOnConflict: `attempt` (a get, change, update) again while it fails with 409 Conflict. */
export async function retryOnConflict<T>(attempt: () => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (err) {
      if (tries < 5 && statusCode(err) === 409) continue;
      throw err;
    }
  }
}

/** The HTTP status of a failed client-node call (ApiException.code), or undefined for any other error. */
export function statusCode(err: unknown): number | undefined {
  return typeof err === "object" && err !== null && "code" in err && typeof err.code === "number"
    ? err.code
    : undefined;
}
