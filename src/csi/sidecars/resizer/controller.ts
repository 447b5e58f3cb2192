// The resizer sidecar's wiring (external-resizer's main + resizeController): ask the driver who it is and whether
// it can expand, then run one queue of claims over informers (claims and PVs). Level-triggered: on start every
// claim is listed and synced, which is how a restarted resizer finishes what a killed one began.
import { WorkQueue, createEventRecorder, keyOf, type ObjectKey } from "../../../client/index.js";
import {
  SidecarStartError,
  backoffOf,
  beginSidecar,
  runWhenSynced,
  type RetryOptions,
  type RunningSidecar,
  type SidecarOptions,
} from "../common/start.js";
import { ResizeFailedError, syncClaim, volumeToResize, type ResizerContext } from "./resize.js";

export interface ResizerOptions extends SidecarOptions, RetryOptions {
  /** Concurrent claim syncs (upstream --workers, 10). */
  workers?: number;
  /** Deadline of ControllerExpandVolume (upstream --timeout, 10 s). */
  timeoutMs?: number;
}

/** A started resizer (see RunningSidecar). */
export type RunningResizer = RunningSidecar;

/** Starts the resizer; resolves once its informers synced and its workers run. */
export async function startResizer(options: ResizerOptions): Promise<RunningResizer> {
  const { client, csi } = options;
  const sidecar = await beginSidecar("csi-resizer", options, ({ driverName, plugin, controller }) => {
    // upstream: a driver with neither EXPAND_VOLUME nor the plugin's VolumeExpansion capability cannot be resized;
    // one with only the plugin capability (node-only expansion) gets the trivial resizer: the PV grows without a call.
    if (!controller.has("EXPAND_VOLUME") && !plugin.volumeExpansion) {
      throw new SidecarStartError(`CSI driver ${driverName} does not support volume expansion (no EXPAND_VOLUME)`);
    }
  });
  const { informers, signal, log } = sidecar;
  const { driverName, controller } = sidecar.driver;
  const claims = informers.persistentVolumeClaims;
  const ctx: ResizerContext = {
    client,
    csi,
    driverName,
    claims,
    volumes: informers.persistentVolumes,
    recorder: createEventRecorder(client.events, { component: "external-resizer " + driverName, log }),
    trivial: !controller.has("EXPAND_VOLUME"),
    supportsSingleNodeMultiWriter: controller.has("SINGLE_NODE_MULTI_WRITER"),
    timeoutMs: options.timeoutMs ?? 10_000,
    signal,
    log,
  };

  const queue = new WorkQueue<ObjectKey>({ name: "csi-resizer-pvc", log, ...backoffOf(options) });
  claims.onChange((claim) => {
    if (volumeToResize(ctx, claim)) queue.add(keyOf(claim));
  });
  // A PV appearing in the cache after its claim (or changing) may make the claim resizable.
  informers.persistentVolumes.onChange((pv) => {
    const ref = pv.spec.claimRef;
    if (!ref?.namespace || pv.spec.csi?.driver !== driverName) return;
    const claim = claims.get(`${ref.namespace}/${ref.name}`);
    if (claim && volumeToResize(ctx, claim)) queue.add(`${ref.namespace}/${ref.name}`);
  });
  const sync = async (key: ObjectKey) => {
    try {
      await syncClaim(ctx, key);
    } catch (err) {
      // Already said on the claim (condition and event): retry with backoff, without a log line for each try.
      if (!(err instanceof ResizeFailedError)) throw err;
      queue.addRateLimited(key);
    }
  };

  return runWhenSynced(sidecar, {
    started: ["resizer started", { driver: driverName, trivial: ctx.trivial }],
    loops: () => [queue.work(signal, sync, options.workers ?? 10)],
    drained: () => ctx.recorder.flush(),
  });
}
