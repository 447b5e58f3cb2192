// The pv-protection controller (upstream pkg/controller/volume/pvprotection): a volume carries the
// kubernetes.io/pv-protection finalizer while it lives; a deleted volume stays Terminating while it is Bound
// (status.phase, which the binder keeps), and loses the finalizer as soon as it is not.
import type { PersistentVolume } from "../../api/core/types.js";
import type { Client, Informer } from "../../client/index.js";
import { WorkQueue, isNotFound, keyOf } from "../../client/index.js";
import { PVProtectionFinalizer } from "../../api/wellknown.js";
import type { Log } from "../../support/log.js";
import { every, runWorkers } from "../common/run.js";

export interface PVProtectionOptions {
  client: Client;
  volumes: Informer<PersistentVolume>;
  workers?: number;
  resyncPeriodMs?: number;
  log: Log;
}

/** isBeingUsed: upstream looks at the phase only. */
export const volumeIsBeingUsed = (volume: PersistentVolume): boolean => volume.status?.phase === "Bound";

export function startPVProtection(options: PVProtectionOptions, signal: AbortSignal): Promise<void> {
  const { client, volumes, log } = options;
  const queue = new WorkQueue<string>({ name: "pvprotection", log });
  const off = volumes.onChange((volume) => queue.add(keyOf(volume)));
  signal.addEventListener("abort", off, { once: true });
  every(options.resyncPeriodMs ?? 0, signal, () => volumes.keys().forEach((key) => queue.add(key)));

  async function sync(name: string): Promise<void> {
    const volume = volumes.get(name);
    if (!volume) return;
    const finalizers = volume.metadata.finalizers ?? [];
    const has = finalizers.includes(PVProtectionFinalizer);
    if (!volume.metadata.deletionTimestamp ? has : !has || volumeIsBeingUsed(volume)) return; // the binder's phase change brings us back
    const next = structuredClone(volume) as PersistentVolume;
    next.metadata.finalizers = volume.metadata.deletionTimestamp
      ? finalizers.filter((f) => f !== PVProtectionFinalizer)
      : [...finalizers, PVProtectionFinalizer];
    try {
      await client.persistentVolumes.update(next);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  return runWorkers(queue, signal, options.workers ?? 4, sync, log);
}
