// The pv-protection controller (upstream pkg/controller/volume/pvprotection): a volume carries the
// kubernetes.io/pv-protection finalizer while it lives; a deleted volume stays Terminating while it is Bound
// (status.phase, which the binder keeps), and loses the finalizer as soon as it is not. Decision: sync.ts.
import type { StartLoop } from "../../client/index.js";
import { WorkQueue, every, keyOf, removeWhenAborted, stopped } from "../../client/index.js";
import type { LoopContext } from "../common/context.js";
import { syncVolume } from "./sync.js";

export { volumeIsBeingUsed } from "./sync.js";

export interface PVProtectionContext extends LoopContext {
  workers?: number;
  resyncPeriodMs?: number;
}

export const startPVProtection: StartLoop<PVProtectionContext> = async (ctx, signal) => {
  const { client, informers, log } = ctx;
  const volumes = informers.persistentVolumes;
  const queue = new WorkQueue<string>({ name: "pvprotection", log });
  removeWhenAborted(signal, [volumes.onChange((volume) => queue.add(keyOf(volume)))]);
  every(ctx.resyncPeriodMs ?? 0, signal, () => queue.resync(volumes.keys()));

  informers.start(signal);
  if (!(await informers.waitForSync(signal))) return stopped;
  return { done: queue.work(signal, (name) => syncVolume({ client, volumes }, name), ctx.workers ?? 4) };
};
