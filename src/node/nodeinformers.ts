// The agent's caches of what a node may list and watch cluster-wide, and their start.
import type { Pod } from "../api/core/types.js";
import type { CSIDriver } from "../api/storage/types.js";
import { Informer, type Client } from "../client/index.js";
import type { NodeObjects } from "./objectcache/nodeobjects.js";

/**
 * The cluster-wide caches the agent keeps, both of what a node may list and watch: the pods bound here (with the
 * kubelet's fieldSelector spec.nodeName=<node>) and the CSIDrivers. The objects pods need are in objectcache/.
 */
export function nodeInformers(client: Client, nodeName: string, log: (message: string) => void) {
  const informerLog = (message: string, fields: Record<string, unknown>) =>
    log(`informer: ${message} ${JSON.stringify(fields)}`);
  const csiDrivers = new Informer<CSIDriver>(client.csiDrivers, { resyncPeriodMs: 60_000, log: informerLog });
  const pods = new Informer<Pod>(client.pods, {
    fieldSelector: `spec.nodeName=${nodeName}`,
    resyncPeriodMs: 60_000,
    log: informerLog,
  });
  return { csiDrivers, pods };
}

/** Starts the caches (every handler is in place by now) and waits for their first lists. */
export async function startCaches(parts: {
  csiDrivers: Informer<CSIDriver>;
  objects: NodeObjects;
  pods: Informer<Pod>;
  stopSignal: AbortSignal;
}): Promise<void> {
  const { csiDrivers, objects, pods, stopSignal } = parts;
  objects.start(stopSignal);
  void csiDrivers.run(stopSignal);
  void pods.run(stopSignal);
  await Promise.all([
    csiDrivers.waitForSync(stopSignal),
    objects.node.waitForSync(stopSignal),
    pods.waitForSync(stopSignal),
  ]);
}
