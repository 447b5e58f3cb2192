// The binding cycle (upstream's PreBind of VolumeBinding, then DefaultBinder): pre-bind static PVs to their claims
// (PV claimRef, as BindPodVolumes does), mark claims that need provisioning with volume.kubernetes.io/selected-node,
// wait until the PV controller and the provisioner have bound every claim, then POST the pod's binding.
import type { PersistentVolume, PersistentVolumeClaim, Pod } from "../api/core/types.js";
import {
  AnnBoundByController,
  AnnSelectedNode,
  AnnStorageProvisioner,
  AnnValueYes,
  EventWaitForVolumeBinding,
} from "../api/wellknown.js";
import type { Client, EventRecorder } from "../client/index.js";
import { ApiError, isConflict } from "../client/index.js";
import type { SchedulerCache } from "./cache.js";
import type { VolumePlan } from "./volumebinding.js";
import { claimKey, isClaimFullyBound, podClaimNames } from "./volumebinding.js";

/** A PreBind failure; its message becomes the FailedScheduling event, as upstream's "running PreBind plugin". */
export class BindingError extends Error {}

/** The pod went away while its volumes were being bound: nothing to report, nothing to retry. */
export class PodGoneError extends Error {}

/** GetBindVolumeToClaim: the PV with a claimRef to the claim and the bound-by-controller annotation. */
export function volumeBoundTo(volume: PersistentVolume, claim: PersistentVolumeClaim): PersistentVolume {
  // A shallow copy of what changes: the cached volume is frozen and shared, and is sent, not kept.
  const claimRef = {
    kind: "PersistentVolumeClaim",
    apiVersion: "v1",
    namespace: claim.metadata.namespace,
    name: claim.metadata.name,
    uid: claim.metadata.uid,
    resourceVersion: claim.metadata.resourceVersion,
  };
  const annotations = { ...(volume.metadata.annotations ?? {}), [AnnBoundByController]: AnnValueYes };
  return { ...volume, metadata: { ...volume.metadata, annotations }, spec: { ...volume.spec, claimRef } };
}

/** Calls `check` whenever a claim or volume changes until it returns true or throws; rejects on timeout/abort. */
export class ClaimWaiters {
  private readonly waiters = new Map<string, Set<() => void>>();

  constructor(cache: SchedulerCache) {
    cache.claims.onChange((claim) => this.wake(claimKey(claim)));
    cache.volumes.onChange((volume) => {
      const ref = volume.spec.claimRef;
      if (ref) this.wake(`${ref.namespace ?? ""}/${ref.name ?? ""}`);
    });
  }

  /** Re-checks the waits on these claim keys (e.g. their pod was deleted). */
  wake(key: string): void {
    for (const fn of this.waiters.get(key) ?? []) fn();
  }

  wait(keys: string[], check: () => boolean, timeoutMs: number, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const finish = (err?: unknown): void => {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        for (const key of keys) {
          const set = this.waiters.get(key);
          set?.delete(test);
          if (set?.size === 0) this.waiters.delete(key);
        }
        if (err) reject(err instanceof Error ? err : new Error(String(err)));
        else resolve();
      };
      const test = (): void => {
        try {
          if (check()) finish();
        } catch (err) {
          finish(err);
        }
      };
      const onAbort = (): void => finish(new BindingError("scheduler stopped"));
      const timer = setTimeout(() => finish(new BindingError(`binding volumes: context deadline exceeded`)), timeoutMs);
      signal.addEventListener("abort", onAbort, { once: true });
      for (const key of keys) {
        let set = this.waiters.get(key);
        if (!set) this.waiters.set(key, (set = new Set()));
        set.add(test);
      }
      test();
    });
  }
}

const revisionOf = (object: { metadata: { resourceVersion?: string } }): number =>
  Number(object.metadata.resourceVersion ?? 0) || 0;

export interface BindContext {
  client: Client;
  cache: SchedulerCache;
  waiters: ClaimWaiters;
  bindTimeoutMs: number;
  signal: AbortSignal;
  /** Says on the pod what it waits for once its claims take longer than `volumeWaitEventMs` (default 2 s). */
  recorder?: EventRecorder;
  volumeWaitEventMs?: number;
}

/** The WaitForVolumeBinding message: which claims the pod waits for on its node, and on whom. */
export function volumeWaitMessage(nodeName: string, claims: PersistentVolumeClaim[]): string {
  const each = claims.map((claim) => {
    const provisioner = claim.metadata.annotations?.[AnnStorageProvisioner];
    const by = provisioner ? `to be provisioned by ${provisioner}` : "to be bound";
    return `persistentvolumeclaim "${claim.metadata.name ?? ""}" ${by}`;
  });
  return `waiting on node ${nodeName} for ${each.join(", ")} (see the claim's events)`;
}

/** BindPodVolumes: the API writes, then waits until every claim of the pod is bound on this node. */
export async function bindPodVolumes(ctx: BindContext, pod: Pod, nodeName: string, plan: VolumePlan): Promise<void> {
  const { client, cache } = ctx;
  for (const { claim, volume } of plan.staticBindings) {
    const current = cache.volume(volume.metadata.name ?? "") ?? volume;
    if (current.spec.claimRef) continue; // already pre-bound (by us before a restart, or the user)
    await client.persistentVolumes.update(volumeBoundTo(current, claim));
  }
  // The revision at which each claim carries our selected-node: older cached copies do not count as a reset.
  const selectedAt = new Map<string, number>();
  for (const claim of plan.provisionings) {
    const current = cache.claim(claim.metadata.namespace ?? "", claim.metadata.name ?? "") ?? claim;
    if (current.metadata.annotations?.[AnnSelectedNode] === nodeName) continue;
    const written = await client.persistentVolumeClaims.patch(
      claim.metadata.namespace ?? "",
      claim.metadata.name ?? "",
      "merge",
      { metadata: { annotations: { [AnnSelectedNode]: nodeName } } },
    );
    selectedAt.set(claimKey(claim), revisionOf(written));
  }
  const namespace = pod.metadata.namespace ?? "";
  const names = podClaimNames(pod);
  if (names.length === 0) return;
  const provisioned = new Set(plan.provisionings.map(claimKey));
  // Upstream waits here in silence; a pod Pending for minutes without a word is what explain's issue is about.
  const say = ctx.recorder
    ? setTimeout(() => {
        const waiting = names.flatMap((name) => {
          const claim = cache.claim(namespace, name);
          return claim && !isClaimFullyBound(claim) ? [claim] : [];
        });
        if (waiting.length > 0) {
          ctx.recorder?.event(pod, "Normal", EventWaitForVolumeBinding, volumeWaitMessage(nodeName, waiting));
        }
      }, ctx.volumeWaitEventMs ?? 2000)
    : undefined;
  try {
    await waitForBindings(ctx, pod, nodeName, names, provisioned, selectedAt);
  } finally {
    clearTimeout(say);
  }
}

function waitForBindings(
  ctx: BindContext,
  pod: Pod,
  nodeName: string,
  names: string[],
  provisioned: Set<string>,
  selectedAt: Map<string, number>,
): Promise<void> {
  const { cache } = ctx;
  const namespace = pod.metadata.namespace ?? "";
  return ctx.waiters.wait(
    names.map((name) => `${namespace}/${name}`),
    () => {
      // checkBindings: every claim fully bound; a provisioning claim whose selected-node was dropped
      // (the provisioner gave up on this node) sends the pod back to be scheduled again.
      const latest = cache.pods.get(`${namespace}/${pod.metadata.name ?? ""}`);
      if (!latest || latest.metadata.uid !== pod.metadata.uid || latest.metadata.deletionTimestamp) {
        throw new PodGoneError(`pod ${namespace}/${pod.metadata.name} was deleted`);
      }
      for (const name of names) {
        const claim = cache.claim(namespace, name);
        if (!claim) throw new BindingError(`binding volumes: persistentvolumeclaim "${name}" not found`);
        const key = claimKey(claim);
        if (isClaimFullyBound(claim)) continue;
        if (provisioned.has(key) && revisionOf(claim) >= (selectedAt.get(key) ?? 0)) {
          const selected = claim.metadata.annotations?.[AnnSelectedNode];
          if (selected !== nodeName) {
            throw new BindingError(
              selected === undefined
                ? `binding volumes: selectedNode annotation reset for PVC "${name}"`
                : `binding volumes: selectedNode annotation value "${selected}" not set to scheduled node "${nodeName}"`,
            );
          }
        }
        return false;
      }
      return true;
    },
    ctx.bindTimeoutMs,
    ctx.signal,
  );
}

/** DefaultBinder: POST pods/<name>/binding, which sets spec.nodeName once (409 if already assigned). */
export async function bindPod(client: Client, pod: Pod, nodeName: string): Promise<void> {
  const namespace = pod.metadata.namespace ?? "";
  const name = pod.metadata.name ?? "";
  const body = {
    apiVersion: "v1",
    kind: "Binding",
    metadata: { name, namespace, uid: pod.metadata.uid },
    target: { apiVersion: "v1", kind: "Node", name: nodeName },
  };
  const response = await client.transport({
    method: "POST",
    path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}/binding`,
    query: new URLSearchParams(),
    headers: { accept: "application/json", "content-type": "application/json", "user-agent": "stowage-scheduler" },
    body: new TextEncoder().encode(JSON.stringify(body)),
  });
  const bytes = await readAll(response.body);
  if (response.status >= 300) {
    const err = ApiError.fromResponse(response.status, bytes);
    // Bound meanwhile (a retry after a lost answer): that is the outcome we wanted.
    if (isConflict(err) && (await client.pods.get(namespace, name)).spec.nodeName === nodeName) return;
    throw err;
  }
}

async function readAll(body: Uint8Array | AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  if (body instanceof Uint8Array) return body;
  const chunks: Uint8Array[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return Buffer.concat(chunks);
}
