// What every CSI sidecar (provisioner, attacher, resizer, snapshotter) does around its loops, as upstream's
// sidecars all do in main(): ask the connected driver who it is and what it can do (refusing to start, with one
// error class, when it lacks what the sidecar needs), give the sidecar its own stop signal, start the informers,
// and only once their caches synced start the workers. The loops follow src/client/controlloop.ts: `done` says
// when they drained after the signal aborted.
import { setMaxListeners } from "node:events";
import type { Started } from "../../../client/controlloop.js";
import { createInformerFactory, type Client, type InformerFactory } from "../../../client/index.js";
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
async function describeDriver(csi: CsiClient): Promise<DriverDescription> {
  const info = await csi.pluginInfo();
  const plugin = await csi.pluginCapabilities();
  const controller = plugin.services.has("CONTROLLER_SERVICE")
    ? await csi.controllerCapabilities()
    : new Set<ControllerRpc>();
  return { driverName: info.name, plugin, controller };
}

/** Where a sidecar started without a log writes: stderr, prefixed with its upstream name. */
const componentLog =
  (component: string): Log =>
  (message, fields) =>
    console.warn(`[${component}] ${message}`, fields ?? {});

/** A started sidecar: its driver, `done` once its loops drained, and stop() to abort and wait for that. */
export interface RunningSidecar extends Started {
  driverName: string;
  /** Stops the loops and waits for in-flight syncs (and events still being written). */
  stop(): Promise<void>;
}

/** What every sidecar is started with. */
export interface SidecarOptions {
  client: Client;
  /** A connected driver (CsiClient.connect). Not closed by stop(). */
  csi: CsiClient;
  /** Aborting it stops the loops (and cancels in-flight CSI calls). */
  signal: AbortSignal;
  /** How often informers resync (upstream --resync, 10 min; we default to 60 s). */
  resyncPeriodMs?: number;
  log?: Log;
}

/** upstream's --retry-interval-start/--retry-interval-max: each key's backoff after a failed sync. */
export interface RetryOptions {
  /** First retry delay after a failed sync, doubling per failure (upstream --retry-interval-start, 1 s). */
  retryIntervalStartMs?: number;
  /** Cap of that delay (upstream --retry-interval-max, 5 min). */
  retryIntervalMaxMs?: number;
}

/** The WorkQueue backoff for RetryOptions. */
export const backoffOf = (options: RetryOptions) => ({
  baseDelayMs: options.retryIntervalStartMs ?? 1000,
  maxDelayMs: options.retryIntervalMaxMs ?? 300_000,
});

/** A sidecar being started: its driver, log, informers (not started yet) and its own stop signal. */
export interface Sidecar {
  driver: DriverDescription;
  log: Log;
  informers: InformerFactory;
  /** Aborted by the caller's signal or by stop(). */
  signal: AbortSignal;
  abort(): void;
}

/**
 * Asks the driver who it is and what it can do; `requires` throws SidecarStartError when that is not enough.
 * `component` is upstream's name (csi-attacher, …), for the default log.
 */
export async function beginSidecar(
  component: string,
  options: SidecarOptions,
  requires: (driver: DriverDescription) => void,
): Promise<Sidecar> {
  const log = options.log ?? componentLog(component);
  const driver = await describeDriver(options.csi);
  requires(driver);
  const stopping = new AbortController();
  const signal = AbortSignal.any([options.signal, stopping.signal]);
  // Every informer, queue and timer of a sidecar listens on this one signal: more than Node's default 10 is expected.
  setMaxListeners(0, signal);
  const informers = createInformerFactory(options.client, { resyncPeriodMs: options.resyncPeriodMs ?? 60_000, log });
  return { driver, log, informers, signal, abort: () => stopping.abort() };
}

export interface Loops {
  /** Starts the workers (and periodic tasks) once the caches synced; each promise settles when it has drained. */
  loops: () => Promise<unknown>[];
  /** Runs after the loops drained (flush the event recorder). */
  drained?: () => Promise<void>;
  /** The "started" line's message and fields. */
  started: [string, Record<string, unknown>];
}

/**
 * Starts the informers and, once their caches synced, the loops; resolves then. A signal aborted before the caches
 * synced starts no loops (and says nothing): the sidecar is already stopping.
 */
export async function runWhenSynced(sidecar: Sidecar, options: Loops): Promise<RunningSidecar> {
  const { informers, signal } = sidecar;
  informers.start(signal);
  const synced = await informers.waitForSync(signal);
  const loops = synced ? options.loops() : [];
  if (synced) sidecar.log(...options.started);
  const done = Promise.all(loops).then(async () => {
    if (synced) await options.drained?.();
  });
  return {
    driverName: sidecar.driver.driverName,
    done,
    async stop() {
      sidecar.abort();
      await done;
    },
  };
}
