// The health monitor sidecar's wiring (external-health-monitor-controller's main + PVMonitorController): ask the
// driver whether it can tell a volume's condition, then check every bound PV of the driver at start and every
// interval: one ListVolumes for all of them when the driver lists volumes (each entry carries its condition), else
// one ControllerGetVolume per PV through a work queue. A check only records events (check.ts). Upstream's node
// watcher (--enable-node-watcher) is not built.
import { WorkQueue, createEventRecorder } from "../../../client/index.js";
import { sleep } from "../../../support/sleep.js";
import {
  SidecarStartError,
  beginSidecar,
  runWhenSynced,
  type RunningSidecar,
  type SidecarOptions,
} from "../common/start.js";
import { checkListedVolumes, checkVolume, type CheckerContext } from "./check.js";

export interface HealthMonitorOptions extends SidecarOptions {
  /** How often each PV is asked about (upstream --monitor-interval, 1 min). */
  monitorIntervalMs?: number;
  /** How often ListVolumes is called, when the driver lists volumes (upstream --list-volumes-interval, 5 min). */
  listVolumesIntervalMs?: number;
  /** Deadline of each CSI call (upstream --timeout, 15 s). */
  timeoutMs?: number;
  /** Concurrent PV checks (upstream --worker-threads, 10). */
  workers?: number;
}

/** Starts the monitor; resolves once its informers synced and the first round of checks is under way. */
export async function startHealthMonitor(options: HealthMonitorOptions): Promise<RunningSidecar> {
  const sidecar = await beginSidecar(
    "csi-external-health-monitor-controller",
    options,
    ({ driverName, controller }) => {
      // upstream exits unless the driver has ListVolumes or ControllerGetVolume, and VolumeCondition.
      if ((!controller.has("LIST_VOLUMES") && !controller.has("GET_VOLUME")) || !controller.has("VOLUME_CONDITION")) {
        throw new SidecarStartError(
          `CSI driver ${driverName} does not support Controller ListVolumes and GetVolume service or does not implement VolumeCondition`,
        );
      }
    },
  );
  const { informers, signal, log } = sidecar;
  const { driverName, controller } = sidecar.driver;
  const volumes = informers.persistentVolumes;
  const ctx: CheckerContext = {
    csi: options.csi,
    driverName,
    claims: informers.persistentVolumeClaims,
    // upstream's event source: csi-pv-monitor-controller-<driver>
    recorder: createEventRecorder(options.client.events, { component: `csi-pv-monitor-controller-${driverName}`, log }),
    timeoutMs: options.timeoutMs ?? 15_000,
    warned: new Set(),
    signal,
  };
  // As upstream: ListVolumes (one call for every volume) whenever the driver lists, else ControllerGetVolume per PV.
  const byList = controller.has("LIST_VOLUMES");
  const monitorIntervalMs = options.monitorIntervalMs ?? 60_000;

  const listLoop = async () => {
    while (!signal.aborted) {
      await checkListedVolumes(ctx, volumes.list()).catch((err: Error) => {
        if (!signal.aborted) log("checking volumes by ListVolumes failed", { err: err.message });
      });
      await sleep(options.listVolumesIntervalMs ?? 300_000, signal).catch(() => undefined);
    }
  };

  const queue = new WorkQueue<string>({ name: "csi-monitor-pv-queue", log });
  // A new PV is checked at once; every PV is asked about again each monitor interval, whatever happened.
  if (!byList) volumes.onAdd((volume) => queue.add(volume.metadata.name ?? ""));
  const checkOne = async (name: string) => {
    const volume = volumes.get(name);
    if (!volume) return; // deleted: it leaves the rounds
    // upstream: a failed call is logged and the volume asked about again next round, not retried at once
    await checkVolume(ctx, volume).catch((err: Error) => {
      if (!signal.aborted) log("checking a volume's condition failed", { volume: name, err: err.message });
    });
    queue.addAfter(name, monitorIntervalMs);
  };

  return runWhenSynced(sidecar, {
    started: ["health monitor started", { driver: driverName, by: byList ? "ListVolumes" : "ControllerGetVolume" }],
    loops: () => (byList ? [listLoop()] : [queue.work(signal, checkOne, options.workers ?? 10)]),
    drained: () => ctx.recorder.flush(),
  });
}
