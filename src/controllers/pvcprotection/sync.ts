// The pvc-protection decision for one claim (upstream pvc_protection_controller.go processPVC): add the
// kubernetes.io/pvc-protection finalizer to a live claim; take it off a deleted one once no Pod uses it.
import type { PersistentVolumeClaim, Pod } from "../../api/core/types.js";
import { PVCProtectionFinalizer } from "../../api/wellknown.js";
import type { Client, Lister } from "../../client/index.js";
import { isNotFound, keyOf } from "../../client/index.js";
import { claimNamesOf, podClaimIndex } from "../common/podindex.js";

export interface PVCProtectionSync {
  client: Client;
  claims: Lister<PersistentVolumeClaim>;
  /** Pods indexed by podClaimIndex. */
  pods: Lister<Pod>;
}

/** A pod that has finished no longer holds its claims. */
export function podIsTerminated(pod: Pod): boolean {
  return pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed";
}

/** podUsesPVC: scheduled, not finished, and one of its volumes names the claim. */
export function podUsesClaim(pod: Pod, claim: PersistentVolumeClaim): boolean {
  if (!pod.spec.nodeName || podIsTerminated(pod)) return false;
  if ((pod.metadata.namespace ?? "") !== (claim.metadata.namespace ?? "")) return false;
  return claimNamesOf(pod).includes(claim.metadata.name ?? "");
}

async function isBeingUsed(ctx: PVCProtectionSync, claim: PersistentVolumeClaim): Promise<boolean> {
  const key = keyOf(claim);
  if (ctx.pods.byIndex(podClaimIndex, key).some((pod) => podUsesClaim(pod, claim))) return true;
  // The cache may lag a pod just created: ask the apiserver before letting the claim go.
  const live = await ctx.client.pods.list({ namespace: claim.metadata.namespace });
  return live.items.some((pod) => podUsesClaim(pod, claim));
}

/** One claim's finalizer, one step. */
export async function syncClaim(ctx: PVCProtectionSync, key: string): Promise<void> {
  const claim = ctx.claims.get(key);
  if (!claim) return;
  const finalizers = claim.metadata.finalizers ?? [];
  const has = finalizers.includes(PVCProtectionFinalizer);
  if (!claim.metadata.deletionTimestamp) {
    if (has) return;
    // Claims created before this controller (or admission) ran get the finalizer too.
    const next = structuredClone(claim) as PersistentVolumeClaim;
    next.metadata.finalizers = [...finalizers, PVCProtectionFinalizer];
    await ctx.client.persistentVolumeClaims.update(next);
    return;
  }
  if (!has || (await isBeingUsed(ctx, claim))) return; // a pod event or the resync brings us back
  const next = structuredClone(claim) as PersistentVolumeClaim;
  next.metadata.finalizers = finalizers.filter((f) => f !== PVCProtectionFinalizer);
  try {
    await ctx.client.persistentVolumeClaims.update(next);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}
