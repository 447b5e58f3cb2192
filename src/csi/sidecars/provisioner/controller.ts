// The provisioner sidecar's wiring (external-provisioner's main + the library's ProvisionController): ask the
// driver who it is and what it can do, then run two queues over shared informers: claims (keyed by uid, as
// upstream, so a deleted claim's in-flight provisioning can finish) and volumes (by name). Level-triggered:
// on start every claim and PV is listed and synced, which is how a restarted provisioner finishes what a killed
// one began.
import { setMaxListeners } from "node:events";
import { hostname } from "node:os";
import { randomInt, randomUUID } from "node:crypto";
import type { PersistentVolumeClaim } from "../../../api/core/types.js";
import { claimClass } from "../../../api/storagerules/class.js";
import {
  WorkQueue,
  createEventRecorder,
  createInformerFactory,
  keyOf,
  type Client,
  type EventRecorder,
} from "../../../client/index.js";
import type { CsiClient } from "../../client.js";
import type { Log, ProvisionerContext } from "./context.js";
import { startCapacityTracking, type CapacityOptions } from "./capacity.js";
import { syncVolume } from "./delete.js";
import { claimUidIndex, syncClaim } from "./provision.js";

export interface ProvisionerOptions {
  client: Client;
  /** A connected driver (CsiClient.connect). Not closed by stop(). */
  csi: CsiClient;
  /** Aborting it stops the loops. */
  signal: AbortSignal;
  /** Concurrent syncs per queue (upstream's --worker-threads, 100). */
  workers?: number;
  /** Upstream's --timeout: deadline of CreateVolume/DeleteVolume. Default 10 s. */
  timeoutMs?: number;
  /** How often every claim and PV is revisited (default 60 s). */
  resyncPeriodMs?: number;
  extraCreateMetadata?: boolean;
  defaultFsType?: string;
  strictTopology?: boolean;
  immediateTopology?: boolean;
  /** Storage capacity tracking (CSIStorageCapacity objects); on unless false, active when the CSIDriver asks. */
  capacity?: CapacityOptions | false;
  log?: Log;
}

export interface RunningProvisioner {
  driverName: string;
  /** Resolves once informers synced and workers run. */
  ready: Promise<void>;
  /** Stops the loops and waits for in-flight syncs and pending events. */
  stop(): Promise<void>;
}

export class ProvisionerStartError extends Error {
  override name = "ProvisionerStartError";
}

const defaultLog: Log = (message, fields) => console.warn(`[csi-provisioner] ${message}`, fields ?? {});

/** Starts the provisioner; resolves once it is syncing (informers listed), so callers can create claims. */
export async function startProvisioner(options: ProvisionerOptions): Promise<RunningProvisioner> {
  const log = options.log ?? defaultLog;
  const { client, csi } = options;
  const info = await csi.pluginInfo();
  const plugin = await csi.pluginCapabilities();
  if (!plugin.services.has("CONTROLLER_SERVICE")) {
    throw new ProvisionerStartError(
      "CSI driver does not support dynamic provisioning: plugin CONTROLLER_SERVICE capability is not reported",
    );
  }
  const controllerCapabilities = await csi.controllerCapabilities();
  if (!controllerCapabilities.has("CREATE_DELETE_VOLUME")) {
    throw new ProvisionerStartError(
      "CSI driver does not support dynamic provisioning: controller CREATE_DELETE_VOLUME capability is not reported",
    );
  }
  const driverName = info.name;

  const stopping = new AbortController();
  const signal = AbortSignal.any([options.signal, stopping.signal]);
  // Every informer, queue and timer of this sidecar listens on this one signal: more than Node's default 10 is expected.
  setMaxListeners(0, signal);
  const informers = createInformerFactory(client, { resyncPeriodMs: options.resyncPeriodMs ?? 60_000, log });
  const claims = informers.persistentVolumeClaims;
  claims.addIndexer(claimUidIndex, (claim) => (claim.metadata.uid ? [claim.metadata.uid] : []));
  const recorder: EventRecorder = createEventRecorder(client.events, {
    // Upstream's component: "<provisioner>_<host>_<uuid>", so several replicas tell apart in describe.
    component: `${driverName}_${hostname()}_${randomUUID()}`,
    log,
  });
  const ctx: ProvisionerContext = {
    client,
    csi,
    driverName,
    identity: `${Date.now()}-${randomInt(10000)}-${driverName}`,
    supportsTopology: plugin.services.has("VOLUME_ACCESSIBILITY_CONSTRAINTS"),
    supportsSingleNodeMultiWriter: controllerCapabilities.has("SINGLE_NODE_MULTI_WRITER"),
    claims,
    volumes: informers.persistentVolumes,
    classes: informers.storageClasses,
    csiNodes: informers.csiNodes,
    nodes: informers.nodes,
    volumeAttachments: informers.volumeAttachments,
    secrets: { get: (namespace, name) => client.secrets.get(namespace, name) },
    recorder,
    extraCreateMetadata: options.extraCreateMetadata ?? false,
    defaultFsType: options.defaultFsType ?? "",
    strictTopology: options.strictTopology ?? false,
    immediateTopology: options.immediateTopology ?? true,
    timeoutMs: options.timeoutMs ?? 10_000,
    inProgress: new Map(),
    created: new Set(),
    log,
  };

  const workqueueLog = (message: string, fields: Record<string, unknown>) => log(message, fields);
  const claimQueue = new WorkQueue<string>({ name: "claims", log: workqueueLog });
  const volumeQueue = new WorkQueue<string>({ name: "volumes", log: workqueueLog });
  const enqueueClaim = (claim: PersistentVolumeClaim) => {
    if (claim.metadata.uid) claimQueue.add(claim.metadata.uid);
  };
  // Deletes too: a claim deleted while its CreateVolume may still run is finished from ctx.inProgress.
  claims.onChange(enqueueClaim);
  informers.persistentVolumes.onChange((volume) => volumeQueue.add(keyOf(volume)));
  informers.persistentVolumes.onDelete((volume) => ctx.created.delete(volume.metadata.name ?? ""));
  // A class appearing or changing may unblock claims that named it (shouldProvision retried "not found").
  informers.storageClasses.onChange((storageClass) => {
    for (const claim of claims.list()) if (claimClass(claim) === storageClass.metadata.name) enqueueClaim(claim);
  });
  // Touch the listers used only by sync so the factory starts (and waits for) their informers.
  void informers.csiNodes;
  void informers.nodes;
  void informers.volumeAttachments;
  if (options.capacity !== false) {
    void informers.csiStorageCapacities;
    void informers.csiDrivers;
  }

  informers.start(signal);
  const workers = options.workers ?? 100;
  let loops: Promise<void> | undefined;
  const ready = (async () => {
    if (!(await informers.waitForSync(signal))) return;
    loops = Promise.all([
      claimQueue.work(
        signal,
        async (uid) => {
          await syncClaim(ctx, uid);
          claimQueue.forget(uid);
        },
        workers,
      ),
      volumeQueue.work(
        signal,
        async (name) => {
          await syncVolume(ctx, name);
          volumeQueue.forget(name);
        },
        workers,
      ),
      options.capacity === false
        ? Promise.resolve()
        : startCapacityTracking(ctx, informers, signal, {
            namespace: process.env.NAMESPACE,
            ...options.capacity,
          }),
    ]).then(() => undefined);
  })();
  await ready;
  log("provisioner started", { driver: driverName, topology: ctx.supportsTopology });

  return {
    driverName,
    ready,
    async stop() {
      stopping.abort();
      await ready;
      await loops;
      await recorder.flush();
    },
  };
}
