// The controller-manager: every control loop of src/controllers on one shared informer factory and client,
// optionally behind leader election on a Lease (kube-system/kube-controller-manager, as upstream) so that only one of
// several running managers acts. Losing leadership stops the loops; winning again starts them afresh from a
// new list (every loop is level-triggered, so nothing is carried over or lost).
import { setMaxListeners } from "node:events";
import { hostname } from "node:os";
import { randomUUID } from "node:crypto";
import type { Client, Started } from "../client/index.js";
import { LeaderElector, createEventRecorder, createInformerFactory } from "../client/index.js";
import type { Log } from "../support/log.js";
import type { LoopContext } from "./common/context.js";
import { startPVBinder } from "./pvbinder/controller.js";
import { startPVCProtection } from "./pvcprotection/controller.js";
import { startPVProtection } from "./pvprotection/controller.js";
import { startAttachDetachController } from "./attachdetach/controller.js";
import { startStatefulSetController } from "./statefulset/controller.js";
import { startReplicaSetController } from "./replicaset/controller.js";
import { startDeploymentController } from "./deployment/controller.js";
import { startJobController } from "./job/controller.js";
import { startTTLAfterFinishedController } from "./job/ttl.js";
import { startCronJobController } from "./cronjob/controller.js";
import { startDaemonSetController } from "./daemonset/controller.js";
import { startGarbageCollector } from "./garbagecollector/controller.js";
import { startNodeLifecycleController } from "./nodelifecycle/controller.js";
import { startExpandController } from "./expand/controller.js";
import { startSnapshotController } from "./snapshot/controller.js";
import { startClusterRoleAggregation } from "./clusterroleaggregation/controller.js";
import { startServiceAccountsController } from "./serviceaccount/controller.js";
import { startEphemeralVolumeController } from "./ephemeral/controller.js";

export interface LeaderElectOptions {
  namespace?: string;
  name?: string;
  identity?: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
}

export interface ControllerManagerOptions {
  /** The shared informers' client (and every loop's, without `clientFor`). */
  client: Client;
  /**
   * Each loop's own client, by its ServiceAccount name in kube-system (kube-controller-manager's
   * --use-service-account-credentials): a loop then may do only what its system:controller:<name> role grants.
   */
  clientFor?: (serviceAccount: string) => Client;
  /** Aborting it stops every loop (and releases the Lease). */
  signal: AbortSignal;
  leaderElect?: boolean | LeaderElectOptions;
  /** Workers per queue of the PV binder. */
  workers?: number;
  /** Upstream's PV controller resyncs every 15 s. */
  resyncPeriodMs?: number;
  /** hostPath directories the Delete and Recycle reclaim policies may remove or scrub (default /tmp). */
  hostPathReclaimRoots?: string[];
  /** Directories no reclaim may remove or empty, nor any containing them: `up` protects its data dir. */
  protectedPaths?: string[];
  /** Node lifecycle: --node-monitor-grace-period (default 40 s) and --node-monitor-period (default 5 s). */
  nodeMonitorGracePeriodMs?: number;
  nodeMonitorPeriodMs?: number;
  /** --node-fence-grace (default 15 s; 0 off): a node silent this long is taken out of service (fencing.ts). */
  nodeFenceGraceMs?: number;
  log?: Log;
  /**
   * Loops from beside src/controllers (cli adds the backup controller) run with these: the same informers, the same
   * leadership, each as its own ServiceAccount.
   */
  extraLoops?: ExtraLoop[];
}

export interface ExtraLoop {
  serviceAccount: string;
  start(ctx: LoopContext, signal: AbortSignal): Promise<Started>;
}

export interface ControllerManager {
  /** Resolves once this manager runs its loops (at once without leader election; when leading with it). */
  ready: Promise<void>;
  isLeader(): boolean;
  /** Stops every loop and waits for in-flight syncs and events. */
  stop(): Promise<void>;
}

const defaultLog: Log = (message, fields) => console.warn(`[controller-manager] ${message}`, fields);

/** Runs all loops until the signal aborts; resolves `started` once informers have synced. */
async function runControllers(
  options: ControllerManagerOptions,
  signal: AbortSignal,
  started: () => void,
): Promise<void> {
  const log = options.log ?? defaultLog;
  const { client } = options;
  const informers = createInformerFactory(client, { log, stripManagedFields: true });
  /** The context of one loop: the shared informers, and its own client when each loop has one. */
  const as = (serviceAccount: string): LoopContext => ({
    client: options.clientFor?.(serviceAccount) ?? client,
    informers,
    log,
  });
  const binder = as("persistent-volume-binder");
  const recorder = createEventRecorder(binder.client.events, { component: "persistentvolume-controller", log });
  const resyncPeriodMs = options.resyncPeriodMs ?? 15_000;
  const { nodeMonitorGracePeriodMs, nodeMonitorPeriodMs, nodeFenceGraceMs, hostPathReclaimRoots, protectedPaths } =
    options;
  // Every loop on the one informer factory (one list+watch per resource), each with its own knobs. Attach-detach
  // keeps its own 60 s resync and expand has none, as upstream.
  const loops: Array<(signal: AbortSignal) => Promise<Started>> = [
    (s) => startPVCProtection({ ...as("pvc-protection-controller"), resyncPeriodMs }, s),
    (s) => startPVProtection({ ...as("pv-protection-controller"), resyncPeriodMs }, s),
    (s) =>
      startPVBinder(
        { ...binder, recorder, workers: options.workers, resyncPeriodMs, hostPathReclaimRoots, protectedPaths },
        s,
      ),
    (s) => startAttachDetachController(as("attachdetach-controller"), s),
    (s) =>
      startNodeLifecycleController(
        { ...as("node-controller"), nodeMonitorGracePeriodMs, nodeMonitorPeriodMs, nodeFenceGraceMs },
        s,
      ),
    (s) => startStatefulSetController({ ...as("statefulset-controller"), resyncPeriodMs }, s),
    (s) => startReplicaSetController({ ...as("replicaset-controller"), resyncPeriodMs }, s),
    (s) => startDeploymentController({ ...as("deployment-controller"), resyncPeriodMs }, s),
    (s) => startJobController({ ...as("job-controller"), resyncPeriodMs }, s),
    (s) => startTTLAfterFinishedController({ ...as("ttl-after-finished-controller"), resyncPeriodMs }, s),
    (s) => startCronJobController({ ...as("cronjob-controller"), resyncPeriodMs }, s),
    (s) => startDaemonSetController({ ...as("daemon-set-controller"), resyncPeriodMs }, s),
    (s) => startGarbageCollector({ ...as("generic-garbage-collector"), resyncPeriodMs }, s),
    (s) => startExpandController(as("expand-controller"), s),
    (s) => startEphemeralVolumeController({ ...as("ephemeral-volume-controller"), resyncPeriodMs }, s),
    (s) => startServiceAccountsController({ ...as("service-account-controller"), resyncPeriodMs }, s),
    (s) =>
      startSnapshotController(
        { ...as("snapshot-controller"), resyncPeriodMs, log: (m, f) => log(`snapshot-controller: ${m}`, f ?? {}) },
        s,
      ),
    (s) => startClusterRoleAggregation(as("clusterrole-aggregation-controller"), s),
    ...(options.extraLoops ?? []).map((loop) => (s: AbortSignal) => loop.start(as(loop.serviceAccount), s)),
  ];
  const running = await Promise.all(loops.map((start) => start(signal)));
  started();
  await Promise.all(running.map((loop) => loop.done));
  await recorder.flush();
}

export async function startControllerManager(options: ControllerManagerOptions): Promise<ControllerManager> {
  const stopping = new AbortController();
  const signal = AbortSignal.any([options.signal, stopping.signal]);
  // Every informer, queue and timer of every loop listens on it: that is by design, not a leak.
  setMaxListeners(0, signal);
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  let leading = false;
  let running: Promise<void>;

  if (!options.leaderElect) {
    leading = true;
    running = runControllers(options, signal, markReady);
    await Promise.race([ready, running]);
  } else {
    const le: LeaderElectOptions = options.leaderElect === true ? {} : options.leaderElect;
    const log = options.log ?? defaultLog;
    running = (async () => {
      while (!signal.aborted) {
        let loops: Promise<void> = Promise.resolve();
        const elector = new LeaderElector({
          leases: options.client.leases,
          namespace: le.namespace ?? "kube-system",
          name: le.name ?? "kube-controller-manager",
          identity: le.identity ?? `${hostname()}_${randomUUID()}`,
          leaseDurationMs: le.leaseDurationMs,
          renewDeadlineMs: le.renewDeadlineMs,
          retryPeriodMs: le.retryPeriodMs,
          log,
          onStartedLeading(leadership) {
            leading = true;
            setMaxListeners(0, leadership);
            loops = runControllers(options, leadership, markReady).catch((err: unknown) =>
              log("controllers stopped with an error", { err }),
            );
          },
          onStoppedLeading() {
            leading = false;
          },
        });
        await elector.run(signal);
        await loops;
      }
    })();
  }

  return {
    ready,
    isLeader: () => leading,
    async stop() {
      stopping.abort();
      await running;
    },
  };
}
