// What every CSI sidecar (provisioner, attacher, resizer, snapshotter) does around its loops, as upstream's
// sidecars all do in main(): ask the connected driver who it is and what it can do (refusing to start, with one
// error class, when it lacks what the sidecar needs), give the sidecar its own stop signal, start the informers,
// and only once their caches synced start the workers. The loops follow src/client/controlloop.ts: `done` says
// when they drained after the signal aborted.
import { setMaxListeners } from "node:events";
import type { Started } from "../../../client/controlloop.js";
import type { Log } from "../../../support/log.js";
import type { ControllerRpc, CsiClient, PluginCapabilities } from "../../client.js";

/** The driver lacks what this sidecar needs (a capability): starting would only fail every sync. */
export class SidecarStartError extends Error {
  override name = "SidecarStartError";
}

export interface DriverDescription {
  /** GetPluginInfo's name: the sidecar handles objects that name this driver. */
  driverName: string;
  plugin: PluginCapabilities;
  /** ControllerGetCapabilities; empty without the CONTROLLER_SERVICE plugin capability (nothing to ask then). */
  controller: Set<ControllerRpc>;
}

/** GetPluginInfo, GetPluginCapabilities and (when there is a controller service) ControllerGetCapabilities. */
export async function describeDriver(csi: CsiClient): Promise<DriverDescription> {
  const info = await csi.pluginInfo();
  const plugin = await csi.pluginCapabilities();
  const controller = plugin.services.has("CONTROLLER_SERVICE")
    ? await csi.controllerCapabilities()
    : new Set<ControllerRpc>();
  return { driverName: info.name, plugin, controller };
}

/** Where a sidecar started without a log writes: stderr, prefixed with its upstream name. */
export const componentLog =
  (component: string): Log =>
  (message, fields) =>
    console.warn(`[${component}] ${message}`, fields ?? {});

/** A started sidecar: its driver, `done` once its loops drained, and stop() to abort and wait for that. */
export interface RunningSidecar extends Started {
  driverName: string;
  /** Stops the loops and waits for in-flight syncs (and events still being written). */
  stop(): Promise<void>;
}

/** The sidecar's own signal: aborted by the caller's signal or by stop(). */
export function sidecarSignal(parent: AbortSignal): { signal: AbortSignal; abort(): void } {
  const stopping = new AbortController();
  const signal = AbortSignal.any([parent, stopping.signal]);
  // Every informer, queue and timer of a sidecar listens on this one signal: more than Node's default 10 is expected.
  setMaxListeners(0, signal);
  return { signal, abort: () => stopping.abort() };
}

export interface RunOptions {
  driverName: string;
  informers: { start(signal: AbortSignal): void; waitForSync(signal: AbortSignal): Promise<boolean> };
  stopper: { signal: AbortSignal; abort(): void };
  /** Starts the workers (and periodic tasks) once the caches synced; each promise settles when it has drained. */
  loops: () => Promise<unknown>[];
  /** Runs after the loops drained (flush the event recorder). */
  drained?: () => Promise<void>;
  log: Log;
  /** The "started" line's message and fields. */
  started: [string, Record<string, unknown>];
}

/**
 * Starts the informers and, once their caches synced, the loops; resolves then. A signal aborted before the caches
 * synced starts no loops (and says nothing): the sidecar is already stopping.
 */
export async function runWhenSynced(options: RunOptions): Promise<RunningSidecar> {
  const { informers, stopper } = options;
  informers.start(stopper.signal);
  const synced = await informers.waitForSync(stopper.signal);
  const loops = synced ? options.loops() : [];
  if (synced) options.log(...options.started);
  const done = Promise.all(loops).then(async () => {
    if (synced) await options.drained?.();
  });
  return {
    driverName: options.driverName,
    done,
    async stop() {
      stopper.abort();
      await done;
    },
  };
}
