// The provisioner sidecar's wiring (external-provisioner's main + the library's ProvisionController): ask the
// driver who it is and what it can do, then run two queues over shared informers: claims (keyed by uid, as
// upstream, so a deleted claim's in-flight provisioning can finish) and volumes (by name). Level-triggered:
// on start every claim and PV is listed and synced, which is how a restarted provisioner finishes what a killed
// one began.
import { hostname } from "node:os";
import { randomInt, randomUUID } from "node:crypto";
import type { PersistentVolumeClaim } from "../../../api/core/types.js";
import { claimClass } from "../../../api/storagerules/class.js";
import { WorkQueue, createEventRecorder, keyOf } from "../../../client/index.js";
import {
  SidecarStartError,
  backoffOf,
  beginSidecar,
  runWhenSynced,
  type RetryOptions,
  type RunningSidecar,
  type Sidecar,
  type SidecarOptions,
} from "../common/start.js";
import type { ProvisionerContext } from "./context.js";
import { startCapacityTracking, type CapacityOptions } from "./capacity.js";
import { syncVolume } from "./delete.js";
import { claimUidIndex, syncClaim } from "./provision.js";

export interface ProvisionerOptions extends SidecarOptions, RetryOptions {
  /** Concurrent syncs per queue (upstream's --worker-threads, 100). */
  workers?: number;
  /** Upstream's --timeout: deadline of CreateVolume/DeleteVolume. Default 10 s. */
  timeoutMs?: number;
  extraCreateMetadata?: boolean;
  defaultFsType?: string;
  strictTopology?: boolean;
  immediateTopology?: boolean;
  /** Storage capacity tracking (CSIStorageCapacity objects); on unless false, active when the CSIDriver asks. */
  capacity?: CapacityOptions | false;
}

/** A started provisioner (see RunningSidecar). */
export type RunningProvisioner = RunningSidecar;

/** The provisioner's context over the factory's caches, with what the driver said about itself. */
function provisionerContext(options: ProvisionerOptions, { driver, informers, log }: Sidecar): ProvisionerContext {
  const { client, csi } = options;
  const { driverName } = driver;
  const claims = informers.persistentVolumeClaims;
  claims.addIndexer(claimUidIndex, (claim) => (claim.metadata.uid ? [claim.metadata.uid] : []));
  return {
    client,
    csi,
    driverName,
    identity: `${Date.now()}-${randomInt(10000)}-${driverName}`,
    supportsTopology: driver.plugin.services.has("VOLUME_ACCESSIBILITY_CONSTRAINTS"),
    supportsSingleNodeMultiWriter: driver.controller.has("SINGLE_NODE_MULTI_WRITER"),
    claims,
    volumes: informers.persistentVolumes,
    classes: informers.storageClasses,
    csiNodes: informers.csiNodes,
    nodes: informers.nodes,
    volumeAttachments: informers.volumeAttachments,
    secrets: { get: (namespace, name) => client.secrets.get(namespace, name) },
    recorder: createEventRecorder(client.events, {
      // Upstream's component: "<provisioner>_<host>_<uuid>", so several replicas tell apart in describe.
      component: `${driverName}_${hostname()}_${randomUUID()}`,
      log,
    }),
    extraCreateMetadata: options.extraCreateMetadata ?? false,
    defaultFsType: options.defaultFsType ?? "",
    strictTopology: options.strictTopology ?? false,
    immediateTopology: options.immediateTopology ?? true,
    timeoutMs: options.timeoutMs ?? 10_000,
    inProgress: new Map(),
    created: new Set(),
    log,
  };
}

/** Starts the provisioner; resolves once it is syncing (informers listed), so callers can create claims. */
export async function startProvisioner(options: ProvisionerOptions): Promise<RunningProvisioner> {
  const sidecar = await beginSidecar("csi-provisioner", options, ({ plugin, controller }) => {
    if (!plugin.services.has("CONTROLLER_SERVICE")) {
      throw new SidecarStartError(
        "CSI driver does not support dynamic provisioning: plugin CONTROLLER_SERVICE capability is not reported",
      );
    }
    if (!controller.has("CREATE_DELETE_VOLUME")) {
      throw new SidecarStartError(
        "CSI driver does not support dynamic provisioning: controller CREATE_DELETE_VOLUME capability is not reported",
      );
    }
  });
  const { driver, informers, signal, log } = sidecar;
  const ctx = provisionerContext(options, sidecar);
  const claims = informers.persistentVolumeClaims;

  // Per-key backoff only, as external-provisioner's queues (an ItemExponentialFailureRateLimiter from
  // --retry-interval-start, 1 s, to --retry-interval-max, 5 min; no overall bucket): client-go's default
  // 10-per-second bucket would let a failure shared by 10,000 claims (the driver restarting, say) retry them over
  // 1,000 s, long after the cause went away, and its 5 ms start would call a failing driver again at once.
  const backoff = backoffOf(options);
  const claimQueue = new WorkQueue<string>({ name: "claims", log, qps: 0, ...backoff });
  const volumeQueue = new WorkQueue<string>({ name: "volumes", log, qps: 0, ...backoff });
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
  if (options.capacity !== false) {
    // Touch the listers used only by capacity tracking so the factory starts (and waits for) their informers.
    void informers.csiStorageCapacities;
    void informers.csiDrivers;
  }

  const workers = options.workers ?? 100;
  const capacity = options.capacity;
  return runWhenSynced(sidecar, {
    started: ["provisioner started", { driver: driver.driverName, topology: ctx.supportsTopology }],
    loops: () => [
      claimQueue.work(signal, (uid) => syncClaim(ctx, uid), workers),
      volumeQueue.work(signal, (name) => syncVolume(ctx, name), workers),
      capacity === false
        ? Promise.resolve()
        : startCapacityTracking(ctx, informers, signal, { namespace: process.env.NAMESPACE, ...capacity }),
    ],
    drained: () => ctx.recorder.flush(),
  });
}
