// The pv-protection decision for one volume (upstream pv_protection_controller.go processPV).
import type { PersistentVolume } from "../../api/core/types.js";
import { PVProtectionFinalizer } from "../../api/wellknown.js";
import type { Client, Lister } from "../../client/index.js";
import { isNotFound } from "../../client/index.js";

export interface PVProtectionSync {
  client: Client;
  volumes: Lister<PersistentVolume>;
}

/** isBeingUsed: upstream looks at the phase only. */
export const volumeIsBeingUsed = (volume: PersistentVolume): boolean => volume.status?.phase === "Bound";

/** A live volume gets the finalizer; a deleted one loses it once it is not Bound. */
export async function syncVolume(ctx: PVProtectionSync, name: string): Promise<void> {
  const volume = ctx.volumes.get(name);
  if (!volume) return;
  const finalizers = volume.metadata.finalizers ?? [];
  const has = finalizers.includes(PVProtectionFinalizer);
  if (!volume.metadata.deletionTimestamp ? has : !has || volumeIsBeingUsed(volume)) return; // the binder's phase change brings us back
  const next = structuredClone(volume) as PersistentVolume;
  next.metadata.finalizers = volume.metadata.deletionTimestamp
    ? finalizers.filter((f) => f !== PVProtectionFinalizer)
    : [...finalizers, PVProtectionFinalizer];
  try {
    await ctx.client.persistentVolumes.update(next);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}
