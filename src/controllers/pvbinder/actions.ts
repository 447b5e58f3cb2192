// The binder's writes, each as upstream's pv_controller.go helper of the same name: a write happens only when
// something differs, works on a copy (cache objects are frozen and shared), and puts the answer back into the
// binder's caches so the next decision sees it. Every helper is safe to repeat: run twice, it writes once.
// Copies are shallow, down to the part a helper changes: the rest is shared with the frozen cached object, which
// nobody changes, and a deep copy of every object written was a tenth of the binder's time at 25,000 claims.
import type {
  PersistentVolume,
  PersistentVolumeClaim,
  PersistentVolumeClaimPhase,
  PersistentVolumePhase,
} from "../../api/core/types.js";
import { tryParseQuantity } from "../../api/quantity.js";
import { claimCapacity, volumeCapacity } from "../../api/storagerules/capacity.js";
import { claimReference, isVolumeBoundToClaim } from "../../api/storagerules/claimref.js";
import { AnnBindCompleted, AnnBoundByController, AnnPreResizeCapacity, AnnValueYes } from "../../api/wellknown.js";
import type { BinderContext } from "./context.js";
import { hasAnnotation } from "./volumeutil.js";

type EventType = "Normal" | "Warning";

const clone = <T>(object: T): T => structuredClone(object) as T;

/**
 * A write's answer as the binder keeps it: without managedFields (as the informer caches objects), which no
 * decision reads and which would otherwise be held twice, once per object and once per answer, until the watch
 * catches up. An update sent without them keeps the stored ones.
 */
function withoutManagedFields<T extends PersistentVolume | PersistentVolumeClaim>(saved: T): T {
  if (!saved.metadata.managedFields) return saved;
  const { managedFields: _dropped, ...metadata } = saved.metadata;
  return { ...saved, metadata };
}

/** The same modes in the same order (what comparing their JSON would say, without the strings). */
function sameModes(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.length === b.length && a.every((mode, i) => mode === b[i]);
}

export async function saveVolume(ctx: BinderContext, volume: PersistentVolume): Promise<PersistentVolume> {
  const saved = withoutManagedFields(await ctx.api.updateVolume(volume));
  ctx.volumes.upsert(saved);
  return saved;
}

export async function saveVolumeStatus(ctx: BinderContext, volume: PersistentVolume): Promise<PersistentVolume> {
  const saved = withoutManagedFields(await ctx.api.updateVolumeStatus(volume));
  ctx.volumes.upsert(saved);
  return saved;
}

export async function saveClaim(ctx: BinderContext, claim: PersistentVolumeClaim): Promise<PersistentVolumeClaim> {
  const saved = withoutManagedFields(await ctx.api.updateClaim(claim));
  ctx.claims.upsert(saved);
  return saved;
}

/** updateVolumePhase: phase and message, nothing else; no write when both already are so. */
export async function updateVolumePhase(
  ctx: BinderContext,
  volume: PersistentVolume,
  phase: PersistentVolumePhase,
  message: string,
): Promise<PersistentVolume> {
  if (volume.status?.phase === phase && (volume.status?.message ?? "") === message) return volume;
  const status = { ...(volume.status ?? {}), phase };
  if (message) status.message = message;
  else delete status.message;
  return saveVolumeStatus(ctx, { ...volume, status });
}

/** updateVolumePhaseWithEvent: the event is recorded only when the phase changes, so a retry does not repeat it. */
export async function updateVolumePhaseWithEvent(
  ctx: BinderContext,
  volume: PersistentVolume,
  phase: PersistentVolumePhase,
  type: EventType,
  reason: string,
  message: string,
): Promise<PersistentVolume> {
  if (volume.status?.phase === phase) return volume;
  const saved = await updateVolumePhase(ctx, volume, phase, message);
  ctx.recorder.event(saved, type, reason, message);
  return saved;
}

/**
 * updateClaimStatus: phase; with a volume, its access modes, and its capacity when the claim is just becoming
 * that phase (a later difference may be a resize in progress: not ours to clobber); without one, both cleared.
 */
export async function updateClaimStatus(
  ctx: BinderContext,
  claim: PersistentVolumeClaim,
  phase: PersistentVolumeClaimPhase,
  volume: PersistentVolume | undefined,
): Promise<PersistentVolumeClaim> {
  // Shallow: the fields below are replaced, never changed in place, so the cached status stays as it was.
  const status = { ...(claim.status ?? {}) };
  let dirty = false;
  if (status.phase !== phase) {
    status.phase = phase;
    dirty = true;
  }
  if (!volume) {
    if (status.accessModes !== undefined) {
      delete status.accessModes;
      dirty = true;
    }
    if (status.capacity !== undefined) {
      delete status.capacity;
      dirty = true;
    }
  } else {
    const modes = volume.spec.accessModes;
    if (!sameModes(status.accessModes, modes)) {
      if (modes) status.accessModes = [...modes];
      else delete status.accessModes;
      dirty = true;
    }
    if (claim.status?.phase !== phase) {
      const storage = volume.spec.capacity?.storage;
      if (storage === undefined)
        throw new Error(`PersistentVolume "${volume.metadata.name}" is without a storage capacity`);
      const preResize = volume.metadata.annotations?.[AnnPreResizeCapacity];
      if (preResize !== undefined) {
        // A volume grown before this claim bound it (a re-bound Retain volume mid-resize): the claim shows the
        // size its filesystem has until the node finishes the resize; an unparsable value means the PV's size.
        status.capacity = { ...(status.capacity ?? {}), storage: tryParseQuantity(preResize)?.toString() ?? storage };
        dirty = true;
      } else if (status.capacity?.storage === undefined || volumeCapacity(volume).cmp(claimCapacity(claim)) !== 0) {
        status.capacity = { ...volume.spec.capacity };
        dirty = true;
      }
    }
  }
  if (!dirty) return claim;
  const saved = withoutManagedFields(await ctx.api.updateClaimStatus({ ...claim, status }));
  ctx.claims.upsert(saved);
  return saved;
}

/** updateClaimStatusWithEvent: as updateClaimStatus, recording the event only when the phase changes. */
export async function updateClaimStatusWithEvent(
  ctx: BinderContext,
  claim: PersistentVolumeClaim,
  phase: PersistentVolumeClaimPhase,
  volume: PersistentVolume | undefined,
  type: EventType,
  reason: string,
  message: string,
): Promise<PersistentVolumeClaim> {
  if (claim.status?.phase === phase) return claim;
  const saved = await updateClaimStatus(ctx, claim, phase, volume);
  ctx.recorder.event(saved, type, reason, message);
  return saved;
}

/**
 * bindVolumeToClaim: claimRef = the claim (with its UID), and bound-by-controller unless a user pre-bound the
 * volume to this claim. The binder's index holds the new claimRef from before the request leaves, so no other
 * claim is offered this volume meanwhile; a failed write puts the old one back.
 */
export async function bindVolumeToClaim(
  ctx: BinderContext,
  volume: PersistentVolume,
  claim: PersistentVolumeClaim,
): Promise<PersistentVolume> {
  const byController = !isVolumeBoundToClaim(volume, claim);
  const ref = volume.spec.claimRef;
  const refDiffers =
    !ref ||
    ref.name !== claim.metadata.name ||
    (ref.namespace ?? "") !== (claim.metadata.namespace ?? "") ||
    ref.uid !== claim.metadata.uid;
  const annotate = byController && !hasAnnotation(volume, AnnBoundByController);
  // Checked before copying: every resync and every watch event of a bound pair comes through here.
  if (!refDiffers && !annotate) return volume;
  const next: PersistentVolume = {
    ...volume,
    metadata: annotate
      ? {
          ...volume.metadata,
          annotations: { ...(volume.metadata.annotations ?? {}), [AnnBoundByController]: AnnValueYes },
        }
      : volume.metadata,
    spec: refDiffers ? { ...volume.spec, claimRef: claimReference(claim) } : volume.spec,
  };
  const revert = ctx.volumes.assume(next);
  try {
    return await saveVolume(ctx, next);
  } catch (err) {
    revert();
    throw err;
  }
}

/** bindClaimToVolume: spec.volumeName (with bound-by-controller when the binder chose it) and bind-completed. */
export async function bindClaimToVolume(
  ctx: BinderContext,
  claim: PersistentVolumeClaim,
  volume: PersistentVolume,
): Promise<PersistentVolumeClaim> {
  const setVolumeName = claim.spec.volumeName !== volume.metadata.name;
  if (!setVolumeName && hasAnnotation(claim, AnnBindCompleted)) return claim; // before copying, as above
  const annotations = { ...(claim.metadata.annotations ?? {}) };
  if (setVolumeName && annotations[AnnBoundByController] === undefined) annotations[AnnBoundByController] = AnnValueYes;
  if (annotations[AnnBindCompleted] === undefined) annotations[AnnBindCompleted] = AnnValueYes;
  return saveClaim(ctx, {
    ...claim,
    metadata: { ...claim.metadata, annotations },
    spec: setVolumeName ? { ...claim.spec, volumeName: volume.metadata.name } : claim.spec,
  });
}

/**
 * bind: PV first (claimRef, then phase Bound), claim second (volumeName + annotations, then status Bound).
 * If the process dies between any two writes, the claimRef already on the PV makes the next syncClaim pick
 * this same volume (pre-bound wins) and finish the remaining steps; nothing binds twice.
 */
export async function bind(ctx: BinderContext, volume: PersistentVolume, claim: PersistentVolumeClaim): Promise<void> {
  let boundVolume = await bindVolumeToClaim(ctx, volume, claim);
  boundVolume = await updateVolumePhase(ctx, boundVolume, "Bound", "");
  let boundClaim = await bindClaimToVolume(ctx, claim, boundVolume);
  boundClaim = await updateClaimStatus(ctx, boundClaim, "Bound", boundVolume);
  void boundClaim;
}

/**
 * unbindVolume: a volume the controller bound loses its claimRef (and the annotation); one a user pre-bound
 * keeps its claimRef without the UID, so it waits for that claim again. Then phase Available.
 */
export async function unbindVolume(ctx: BinderContext, volume: PersistentVolume): Promise<PersistentVolume> {
  const next = clone(volume);
  if (hasAnnotation(volume, AnnBoundByController)) {
    delete next.spec.claimRef;
    const annotations = { ...(next.metadata.annotations ?? {}) };
    delete annotations[AnnBoundByController];
    if (Object.keys(annotations).length === 0) delete next.metadata.annotations;
    else next.metadata.annotations = annotations;
  } else if (next.spec.claimRef) {
    delete next.spec.claimRef.uid;
  }
  const saved = await saveVolume(ctx, next);
  return updateVolumePhase(ctx, saved, "Available", "");
}
