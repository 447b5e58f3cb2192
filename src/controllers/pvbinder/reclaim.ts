// What happens to a Released volume, by its reclaim policy, as upstream's reclaimVolume, deleteVolumeOperation
// and recycleVolumeOperation:
// - Retain: nothing; the volume stays Released (and keeps its claimRef) until an administrator acts.
// - Delete: a volume a provisioner made (pv.kubernetes.io/provisioned-by naming an external provisioner), and any
//   CSI or CSI-migrated volume (HonorPVReclaimPolicy), is left Released to the external deleter, which deletes the
//   backing volume and then the PV. Otherwise the binder is the deleter:
//   for a hostPath under an allowed root it removes the directory and then the PV; anything else has no deleter
//   and the volume goes Failed with VolumeFailedDelete.
// - Recycle: while pods of the old claim have not terminated, a Normal VolumeFailedRecycle names them and the
//   volume waits; then the hostPath directory's contents are scrubbed (only under an allowed root) and the volume
//   goes back to Available; a failure makes it Failed with VolumeFailedRecycle.
// Failed volumes keep Failed (not overwritten) and the reclaim is retried on every sync, as upstream.
import { isAbsolute, relative, resolve } from "node:path";
import type { PersistentVolume, Pod } from "../../api/core/types.js";
import {
  AnnDynamicallyProvisioned,
  AnnMigratedTo,
  EventVolumeFailedDelete,
  EventVolumeFailedRecycle,
  EventVolumeRecycled,
} from "../../api/wellknown.js";
import { mountSyscalls } from "../../support/mountsyscalls.js";
import { removeBeneath } from "../../support/saferemove.js";
import { unbindVolume, updateVolumePhaseWithEvent } from "./actions.js";
import type { BinderContext } from "./context.js";
import { claimRefKey, hasAnnotation } from "./volumeutil.js";

export const msgNoRecycler = "No recycler plugin found for the volume!";
export const msgVolumeRecycled = "Volume recycled";
export const msgUnknownReclaimPolicy = "Volume has unrecognized PersistentVolumeReclaimPolicy";
export const EventVolumeUnknownReclaimPolicy = "VolumeUnknownReclaimPolicy";

/** A hostPath the policy may not touch, or a scrub/delete that failed: the message goes on the Failed volume. */
export class ReclaimError extends Error {}

export async function reclaimVolume(ctx: BinderContext, volume: PersistentVolume): Promise<void> {
  switch (volume.spec.persistentVolumeReclaimPolicy) {
    case "Retain":
      return;
    case "Recycle":
      return recycleVolume(ctx, volume);
    case "Delete":
      return deleteVolume(ctx, volume);
    default:
      await updateVolumePhaseWithEvent(
        ctx,
        volume,
        "Failed",
        "Warning",
        EventVolumeUnknownReclaimPolicy,
        msgUnknownReclaimPolicy,
      );
  }
}

/**
 * isVolumeReleased: the claim the volume points at is really gone (or re-created, or bound elsewhere). Checked
 * again on a fresh copy right before anything destructive, so a stale cache never costs data.
 */
export function isVolumeReleased(ctx: BinderContext, volume: PersistentVolume): boolean {
  const ref = volume.spec.claimRef;
  if (!ref || !ref.uid) return false;
  const claim = ctx.claims.get(claimRefKey(ref));
  if (claim && claim.metadata.uid === ref.uid) {
    return !!claim.spec.volumeName && claim.spec.volumeName !== volume.metadata.name;
  }
  return true;
}

/** The fresh volume if it still needs reclaiming, else undefined. */
async function freshReleased(ctx: BinderContext, volume: PersistentVolume): Promise<PersistentVolume | undefined> {
  const fresh = await ctx.api.getVolume(volume.metadata.name ?? "");
  if (!fresh) return undefined;
  ctx.volumes.upsert(fresh);
  if (!isVolumeReleased(ctx, fresh)) return undefined;
  const ref = fresh.spec.claimRef;
  // The cache may not know the claim yet; the apiserver does.
  if (ref?.name && ref.uid) {
    const live = await ctx.api.getClaim(ref.namespace ?? "", ref.name);
    if (
      live &&
      live.metadata.uid === ref.uid &&
      (!live.spec.volumeName || live.spec.volumeName === fresh.metadata.name)
    ) {
      return undefined;
    }
  }
  return fresh;
}

/** An external provisioner made it: the provisioner deletes it ("kubernetes.io/…" would be in-tree: none here). */
export function isExternallyProvisioned(volume: PersistentVolume): boolean {
  const provisioner = volume.metadata.annotations?.[AnnDynamicallyProvisioned];
  return !!provisioner && !provisioner.startsWith("kubernetes.io/");
}

/**
 * findDeletablePlugin's nil: an external deleter is asked for. With HonorPVReclaimPolicy (on since 1.31) that is
 * also any CSI volume and any volume migrated to CSI, provisioned or created by hand: it stays Released for the
 * CSI driver's provisioner, never Failed for want of an in-tree deleter.
 */
export function hasExternalDeleter(volume: PersistentVolume): boolean {
  return isExternallyProvisioned(volume) || !!volume.spec.csi || hasAnnotation(volume, AnnMigratedTo);
}

async function deleteVolume(ctx: BinderContext, volume: PersistentVolume): Promise<void> {
  if (hasExternalDeleter(volume)) return; // the deleter sees the Released phase
  const fresh = await freshReleased(ctx, volume);
  if (!fresh || fresh.metadata.deletionTimestamp) return;
  try {
    if (!fresh.spec.hostPath) {
      throw new ReclaimError(
        `error getting deleter volume plugin for volume "${fresh.metadata.name}": no deletable volume plugin matched`,
      );
    }
    const { path, root } = allowedPath(fresh.spec.hostPath.path, ctx.hostPathReclaimRoots, "deleter");
    await removeBeneath(root, path, removeOptions(ctx));
  } catch (err) {
    await updateVolumePhaseWithEvent(ctx, fresh, "Failed", "Warning", EventVolumeFailedDelete, messageOf(err));
    return; // retried on the next sync, as upstream
  }
  await ctx.api.deleteVolume(fresh);
}

async function recycleVolume(ctx: BinderContext, volume: PersistentVolume): Promise<void> {
  const fresh = await freshReleased(ctx, volume);
  if (!fresh) return;
  // isVolumeUsed: pods of the old claim that have not terminated (Pending ones too) may still write to it; a
  // cached claim of that name is a new one, which isVolumeReleased has seen uses another volume.
  const users = podsUsing(ctx, fresh);
  if (users.length > 0 && !ctx.claims.get(claimRefKey(fresh.spec.claimRef!))) {
    ctx.recorder.event(fresh, "Normal", EventVolumeFailedRecycle, `Volume is used by pods: ${users.join(",")}`);
    return; // retried on the next sync
  }
  if (!fresh.spec.hostPath) {
    await updateVolumePhaseWithEvent(ctx, fresh, "Failed", "Warning", EventVolumeFailedRecycle, msgNoRecycler);
    return;
  }
  try {
    // What upstream's recycler pod runs: remove everything inside, keep the directory.
    const { path, root } = allowedPath(fresh.spec.hostPath.path, ctx.hostPathReclaimRoots, "recycler");
    await removeBeneath(root, path, { ...removeOptions(ctx), keep: true });
  } catch (err) {
    const message = `Recycle failed: ${messageOf(err)}`;
    await updateVolumePhaseWithEvent(ctx, fresh, "Failed", "Warning", EventVolumeFailedRecycle, message);
    return;
  }
  ctx.recorder.event(fresh, "Normal", EventVolumeRecycled, msgVolumeRecycled);
  await unbindVolume(ctx, fresh); // back to Available (a pre-bound volume waits for its claim again)
}

/**
 * The path, if it lies lexically strictly inside one of the roots (upstream's hostPath deleter and recycler
 * allow only /tmp/.+ and word their refusal like this), and that root. The removal then walks it by descriptors
 * (support/saferemove.ts): no symlinked component, no mount point and no protected directory on the way.
 */
export function allowedPath(
  path: string,
  roots: readonly string[],
  what: "deleter" | "recycler",
): { path: string; root: string } {
  const refuse = () =>
    new ReclaimError(
      `host_path ${what} only supports ${roots.map((r) => `${r.replace(/\/+$/, "")}/.+`).join(", ") || "no paths"} but received provided ${path}`,
    );
  if (!isAbsolute(path)) throw refuse();
  const lexical = resolve(path);
  const root = roots.find((r) => {
    const rel = relative(resolve(r), lexical);
    return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel);
  });
  if (!root) throw refuse();
  return { path: lexical, root };
}

/** The data dir (and whatever else the operator protects) survives any reclaim; mount points stop it. */
function removeOptions(ctx: BinderContext) {
  return { protect: ctx.protectedPaths ?? [], isMountRoot: mountSyscalls()?.isMountRoot };
}

/** isVolumeUsed's list: "namespace/name" of each pod of the volume's claim not yet terminated, sorted. */
function podsUsing(ctx: BinderContext, volume: PersistentVolume): string[] {
  const ref = volume.spec.claimRef;
  if (!ref) return [];
  const pods = ctx.podsUsingClaim(ref.namespace ?? "", ref.name ?? "").filter((pod) => !isPodTerminated(pod));
  return [...new Set(pods.map((pod) => `${pod.metadata.namespace ?? ""}/${pod.metadata.name ?? ""}`))].sort();
}

/** util.IsPodTerminated: finished, or being deleted with no container running. */
function isPodTerminated(pod: Pod): boolean {
  const phase = pod.status?.phase;
  if (phase === "Failed" || phase === "Succeeded") return true;
  const running = (pod.status?.containerStatuses ?? []).some((c) => !c.state?.terminated && !c.state?.waiting);
  return !!pod.metadata.deletionTimestamp && !running;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
