// The reconciler (pkg/kubelet/volumemanager/reconciler): every ~100 ms it compares the desired state (pods bound
// here and the volumes they need) with the actual state (what is set up) and starts the next step for each
// volume that differs — tear down what no pod needs, unstage what no pod publishes, attach-wait, stage, publish,
// set up, refresh changed configMaps/secrets. At most one step per volume (or staged device) runs at a time,
// every step is idempotent, and a failed one is retried with per-volume exponential backoff
// (nestedpendingoperations). Failures a user can act on become FailedMount events on the pod.
import type { Pod } from "../../api/core/types.js";
import {
  EventFailedMapVolume,
  EventFailedMountVolume,
  EventFileSystemResizeSuccess,
  EventVolumeResizeFailed,
} from "../../api/wellknown.js";
import type { Client, EventRecorder, Lister } from "../../client/index.js";
import { expandVolume, pendingNodeExpansion } from "../plugins/expand.js";
import { projectedVersion, setUpProjectedVolume } from "../plugins/projected.js";
import {
  AttachPendingError,
  UncertainOperationError,
  VolumeOperationError,
  type PluginContext,
} from "../plugins/context.js";
import { setUpObjectVolume, sourceVersion } from "../plugins/configmap.js";
import {
  deviceOf,
  forgetStaging,
  needsStaging,
  publishVolume,
  stageVolume,
  unpublishVolume,
  unstageVolume,
} from "../plugins/csi.js";
import { setUpEmptyDir, tearDownEmptyDir } from "../plugins/emptydir.js";
import { checkHostPathType } from "../plugins/hostpath.js";
import { setUpNfs, tearDownNfs } from "../plugins/nfs.js";
import { csiUniqueVolumeName, pluginNames } from "../paths.js";
import type { ActualState, MountedVolume, StagedDevice } from "./actual.js";
import {
  desiredPod,
  podNeedsVolumes,
  volumeKey,
  type DesiredListers,
  type DesiredPod,
  type DesiredVolume,
} from "./desired.js";

/** Raw block volumes are mapped, not mounted: their failures are FailedMapVolume events (operation_generator.go). */
const failedReason = (volume: DesiredVolume): string =>
  volume.kind === "csi" && volume.volumeMode === "Block" ? EventFailedMapVolume : EventFailedMountVolume;

export interface ReconcilerOptions {
  ctx: PluginContext;
  actual: ActualState;
  pods: Lister<Pod>;
  listers: DesiredListers;
  recorder: EventRecorder;
  client: Client;
  /** Called after any step changed the actual state (pod status may change). */
  onChange(podUid: string): void;
  log(message: string, err?: unknown): void;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** How often a pass looks again at every pod, settled or not (the level-based safety net); default 2 s. */
  fullPassIntervalMs?: number;
}

/** A desired volume with what a pass needs of it, computed once per desired pod. */
interface WantedVolume {
  key: string;
  volume: DesiredVolume;
  /** The staged device a CSI volume publishes from. */
  device?: string;
}

/** Volume kinds with nothing to refresh once set up (configMap, secret, downwardAPI, projected follow their sources). */
const settledKinds: ReadonlySet<DesiredVolume["kind"]> = new Set(["csi", "emptyDir", "hostPath", "nfs"]);

interface Backoff {
  until: number;
  delayMs: number;
}

export class Reconciler {
  private readonly inFlight = new Map<string, { devices: Set<string> }>();
  private readonly backoff = new Map<string, Backoff>();
  /** Latest attach-pending state per volume key: reported as "unattached" in timeout events. */
  readonly unattached = new Set<string>();
  private wake?: () => void;
  private pending = false;
  /** The agent's stop signal: long-running mount commands (nfs) are killed with it, so stopping never waits on them. */
  private stopping?: AbortSignal;

  constructor(private readonly options: ReconcilerOptions) {}

  /** The desired state, computed from the caches (cheap: no API calls). */
  desiredPods(): DesiredPod[] {
    const out: DesiredPod[] = [];
    for (const pod of this.options.pods.list()) {
      if (podNeedsVolumes(pod)) out.push(this.desiredOf(pod));
    }
    return out;
  }

  /**
   * desiredPod, reused while the pod and every claim and PV it resolved through are the same cache objects
   * (informers replace objects, never change them): a pass runs every few ms and looks at every pod on the node,
   * and recomputing them all was the largest CPU cost per pod with hundreds of pods (bench/node.ts).
   */
  private readonly desiredMemo = new WeakMap<Pod, { claimKeys: string[]; inputs: unknown[]; desired: DesiredPod }>();

  /** The pod's desired volumes (memoized; the pod worker reads them too). Callers must not change the result. */
  desiredOf(pod: Pod): DesiredPod {
    const memo = this.desiredMemo.get(pod);
    if (memo && this.sameInputs(memo.claimKeys, memo.inputs)) return memo.desired;
    // The pod's claim keys are computed once per pod object: checking the memo allocates nothing.
    const claimKeys = memo?.claimKeys ?? [];
    if (!memo) {
      for (const volume of pod.spec.volumes ?? []) {
        if (volume.persistentVolumeClaim) {
          claimKeys.push(`${pod.metadata.namespace ?? "default"}/${volume.persistentVolumeClaim.claimName}`);
        }
      }
    }
    const { claims, volumes } = this.options.listers;
    const inputs: unknown[] = [];
    for (const key of claimKeys) {
      const claim = claims.get(key);
      inputs.push(claim, claim?.spec.volumeName ? volumes.get(claim.spec.volumeName) : undefined);
    }
    const desired = desiredPod(pod, this.options.listers);
    this.desiredMemo.set(pod, { claimKeys, inputs, desired });
    return desired;
  }

  /** Whether every claim (and the PV it names) is still the cache object desiredPod resolved through. */
  private sameInputs(claimKeys: string[], inputs: unknown[]): boolean {
    const { claims, volumes } = this.options.listers;
    for (let i = 0; i < claimKeys.length; i++) {
      const claim = claims.get(claimKeys[i]);
      if (claim !== inputs[2 * i]) return false;
      if ((claim?.spec.volumeName ? volumes.get(claim.spec.volumeName) : undefined) !== inputs[2 * i + 1]) return false;
    }
    return true;
  }

  private readonly wantedMemo = new WeakMap<DesiredPod, WantedVolume[]>();

  private wantedOf(desired: DesiredPod): WantedVolume[] {
    let out = this.wantedMemo.get(desired);
    if (!out) {
      out = desired.volumes.map((volume) => ({
        key: volumeKey(volume),
        volume,
        ...(volume.kind === "csi" ? { device: deviceOf(volume) } : {}),
      }));
      this.wantedMemo.set(desired, out);
    }
    return out;
  }

  /**
   * Desired pods whose every volume a pass found set up with nothing left to do (no refresh, no expansion, no
   * step running), with the actual-state entries it saw. A desired pod is the same object only while its pod, claims
   * and PVs are (desiredOf), and the actual state replaces entries rather than changing them, so while every entry
   * is still the same object a pass would start nothing for the pod: it is skipped, and a pass costs what changed.
   */
  private readonly settled = new WeakMap<DesiredPod, (MountedVolume | undefined)[]>();
  private nextFullPass = 0;

  private stillSettled(desired: DesiredPod, wanted: WantedVolume[]): boolean {
    const seen = this.settled.get(desired);
    if (!seen) return false;
    for (let i = 0; i < wanted.length; i++) {
      const { key } = wanted[i];
      if (this.options.actual.volumes.get(key) !== seen[i]) return false;
      if (this.inFlight.has(key) || this.inFlight.has(`expand/${key}`)) return false;
    }
    return true;
  }

  /** After a pass looked at the pod: whether it has nothing left to do, as stillSettled relies on. */
  private noteSettled(desired: DesiredPod, wanted: WantedVolume[]): void {
    const seen: MountedVolume[] = [];
    for (const { key, volume } of wanted) {
      const mounted = this.options.actual.volumes.get(key);
      if (!mounted || mounted.uncertain || !settledKinds.has(volume.kind)) return;
      if (this.inFlight.has(key) || this.inFlight.has(`expand/${key}`)) return;
      if (
        volume.kind === "csi" &&
        pendingNodeExpansion(
          this.options.listers.claims.get(volume.claimKey),
          this.options.listers.volumes.get(volume.pvName),
        )
      ) {
        return;
      }
      seen.push(mounted);
    }
    this.settled.set(desired, seen);
  }

  /** Whether every step is finished for the pod's volumes and none is running. */
  idle(): boolean {
    return this.inFlight.size === 0;
  }

  /** Runs a pass now instead of at the next interval. */
  trigger(): void {
    if (this.wake) this.wake();
    else this.pending = true; // mid-pass: run another pass right after this one
  }

  async run(signal: AbortSignal, intervalMs = 100): Promise<void> {
    this.stopping = signal;
    while (!signal.aborted) {
      this.pending = false;
      try {
        this.reconcile();
      } catch (err) {
        this.options.log("reconciler pass failed", err);
      }
      // Triggers (every informer event, every finished step) coalesce: at most one pass per few ms, as each
      // pass looks at every pod on the node.
      await new Promise((r) => setTimeout(r, Math.min(5, intervalMs)));
      await new Promise<void>((resolve) => {
        if (this.pending) {
          this.pending = false;
          return resolve();
        }
        const done = () => {
          this.wake = undefined;
          clearTimeout(timer);
          signal.removeEventListener("abort", done);
          resolve();
        };
        const timer = setTimeout(done, intervalMs);
        signal.addEventListener("abort", done, { once: true });
        this.wake = done;
      });
    }
    // Let running steps finish so nothing is half-recorded when the agent stops.
    while (this.inFlight.size > 0) await new Promise((r) => setTimeout(r, 10));
  }

  /**
   * One pass: start the next step of every volume whose desired and actual state differ. Pods found settled by an
   * earlier pass and unchanged since are not looked at again, except by a full pass every fullPassIntervalMs.
   */
  reconcile(): void {
    const { actual, ctx } = this.options;
    const now = Date.now();
    const full = now >= this.nextFullPass;
    if (full) this.nextFullPass = now + (this.options.fullPassIntervalMs ?? 2000);
    const desired = this.desiredPods();
    const wanted = new Map<string, { volume: DesiredVolume; pod: Pod }>();
    const wantedDevices = new Set<string>();
    /** The volumes step 3 looks at: those of pods not settled. */
    const check = new Map<string, { volume: DesiredVolume; pod: Pod }>();
    const checked: { desired: DesiredPod; wanted: WantedVolume[] }[] = [];
    for (const desiredPod of desired) {
      const { pod } = desiredPod;
      const volumes = this.wantedOf(desiredPod);
      const skip = !full && this.stillSettled(desiredPod, volumes);
      for (const { key, volume, device } of volumes) {
        wanted.set(key, { volume, pod });
        if (!skip) check.set(key, { volume, pod });
        if (device) wantedDevices.add(device);
      }
      if (!skip) checked.push({ desired: desiredPod, wanted: volumes });
    }

    // 1. Unmount what no pod needs (reconciler.unmountVolumes).
    for (const mounted of actual.volumes.values()) {
      if (wanted.has(mounted.key)) continue;
      this.start(mounted.key, [], () => this.tearDown(mounted));
    }
    // 2. Unstage devices nothing publishes any more (unmountDetachDevices).
    let published: Set<string> | undefined; // only needed when some staged device is not wanted
    for (const device of actual.devices.values()) {
      if (wantedDevices.has(device.uniqueName)) continue;
      published ??= actual.publishedDevices();
      if (published.has(device.uniqueName)) continue;
      if (this.deviceBusy(device.uniqueName)) continue;
      this.start(`device/${device.uniqueName}`, [device.uniqueName], async () => {
        await unstageVolume(ctx, device);
        actual.markUnstaged(device.uniqueName);
      });
    }
    // 3. Set up what pods need (mountOrAttachVolumes), refresh configMaps/secrets that changed.
    for (const [key, { volume, pod }] of check) {
      const mounted = actual.volumes.get(key);
      if (mounted && !mounted.uncertain) {
        if (
          (volume.kind === "configMap" || volume.kind === "secret") &&
          mounted.sourceVersion !== sourceVersion(ctx, volume)
        ) {
          this.start(key, [], () => this.setUp(volume, pod, key));
        }
        if (
          (volume.kind === "downwardAPI" || volume.kind === "projected") &&
          mounted.sourceVersion !== projectedVersion(ctx, volume)
        ) {
          this.start(key, [], () => this.setUp(volume, pod, key));
        }
        if (volume.kind === "csi") {
          const claim = this.options.listers.claims.get(volume.claimKey);
          const pv = this.options.listers.volumes.get(volume.pvName);
          const size = pendingNodeExpansion(claim, pv);
          if (size && claim && pv) {
            this.start(
              `expand/${key}`,
              [deviceOf(volume)],
              async () => {
                await expandVolume(ctx, this.options.client, mounted, claim, pv, size);
                this.options.recorder.event(
                  pod,
                  "Normal",
                  EventFileSystemResizeSuccess,
                  `MountVolume.NodeExpandVolume succeeded for volume "${volume.pvName}" ${ctx.nodeName}`,
                );
              },
              pod,
              EventVolumeResizeFailed,
            );
          }
        }
        continue;
      }
      if (volume.kind === "csi") {
        const device = deviceOf(volume);
        if (needsStaging(ctx, volume, actual.devices.get(device))) {
          if (this.deviceBusy(device)) continue;
          this.start(
            `device/${device}`,
            [device],
            async () => {
              try {
                actual.markStaged(await stageVolume(ctx, volume));
                this.unattached.delete(key);
              } catch (err) {
                if (err instanceof AttachPendingError) this.unattached.add(key);
                // The driver said no for certain and nothing was staged before: the staging directory and
                // vol_data.json written for this try go, or they would wait for the next restart to be cleaned up.
                else if (!(err instanceof UncertainOperationError) && !actual.devices.has(device)) {
                  await forgetStaging(ctx, volume).catch(() => undefined);
                }
                throw err;
              }
            },
            pod,
            failedReason(volume),
          );
          continue;
        }
        this.start(key, [device], () => this.setUp(volume, pod, key), pod, failedReason(volume));
        continue;
      }
      this.start(key, [], () => this.setUp(volume, pod, key), pod);
    }
    for (const { desired: desiredPod, wanted: volumes } of checked) this.noteSettled(desiredPod, volumes);
  }

  private deviceBusy(device: string): boolean {
    for (const op of this.inFlight.values()) if (op.devices.has(device)) return true;
    return false;
  }

  private async setUp(volume: DesiredVolume, pod: Pod, key: string): Promise<void> {
    const { ctx, actual } = this.options;
    switch (volume.kind) {
      case "csi":
        try {
          actual.markMounted(await publishVolume(ctx, volume, pod, key));
          this.unattached.delete(key);
        } catch (err) {
          if (err instanceof AttachPendingError) this.unattached.add(key);
          throw err;
        }
        return;
      case "emptyDir":
        actual.markMounted(await setUpEmptyDir(ctx, volume, key));
        return;
      case "configMap":
      case "secret":
        actual.markMounted(await setUpObjectVolume(ctx, volume, key));
        return;
      case "downwardAPI":
      case "projected":
        actual.markMounted(await setUpProjectedVolume(ctx, volume, key));
        return;
      case "nfs":
        // Its own step like any other: a server that does not answer holds up this volume only.
        actual.markMounted(await setUpNfs(ctx, volume, key, this.stopping));
        return;
      case "hostPath":
        try {
          await checkHostPathType(volume.source);
        } catch (err) {
          throw new VolumeOperationError("MountVolume.SetUp", volume.innerName, (err as Error).message);
        }
        // Nothing under the pod's directory: the host path itself is the volume.
        actual.markMounted({
          key,
          podUid: volume.podUid,
          plugin: volume.plugin,
          innerName: volume.innerName,
          dir: volume.source.path,
          uncertain: false,
        });
        return;
    }
  }

  private async tearDown(mounted: MountedVolume): Promise<void> {
    const { ctx, actual } = this.options;
    if (mounted.plugin === pluginNames.csi) {
      if (mounted.csi) {
        await unpublishVolume(ctx, mounted);
        // Found on disk at start and published from a staged device: make sure the device gets unstaged too.
        if (
          mounted.csi.stagingPath &&
          !actual.devices.has(csiUniqueVolumeName(mounted.csi.driverName, mounted.csi.volumeHandle))
        ) {
          const device: StagedDevice = {
            uniqueName: csiUniqueVolumeName(mounted.csi.driverName, mounted.csi.volumeHandle),
            driver: mounted.csi.driverName,
            volumeHandle: mounted.csi.volumeHandle,
            stagingPath: mounted.csi.stagingPath,
            uncertain: true,
            ...(mounted.csi.volumeMode === "Block" ? { blockPvName: mounted.csi.specVolID } : {}),
          };
          actual.markStaged(device);
        }
      } else {
        await unpublishVolume(ctx, mounted);
      }
    } else if (mounted.plugin === pluginNames.nfs) {
      await tearDownNfs(mounted, this.stopping);
    } else if (mounted.plugin !== pluginNames.hostPath) {
      await tearDownEmptyDir(mounted);
    }
    actual.markUnmounted(mounted.key);
  }

  /** Starts `step` unless one with the same key runs or backs off; records the outcome. */
  private start(
    key: string,
    devices: string[],
    step: () => Promise<void>,
    pod?: Pod,
    failureReason: string = EventFailedMountVolume,
  ): void {
    if (this.inFlight.has(key)) return;
    const backoff = this.backoff.get(key);
    if (backoff && Date.now() < backoff.until) return;
    this.inFlight.set(key, { devices: new Set(devices) });
    const podUid = pod?.metadata.uid ?? key.split("/")[0];
    void step().then(
      () => {
        this.backoff.delete(key);
        this.inFlight.delete(key);
        this.options.onChange(podUid);
        this.trigger();
      },
      (err: unknown) => {
        this.inFlight.delete(key);
        if (err instanceof AttachPendingError) return; // re-checked each pass: the lister read is free
        if (err instanceof UncertainOperationError) {
          // The driver may have done it: remember it as uncertain so it is redone while needed, undone if not.
          if ("device" in err.uncertain) this.options.actual.markStaged(err.uncertain.device);
          else this.options.actual.markMounted(err.uncertain.volume);
        }
        const initial = this.options.initialBackoffMs ?? 200;
        const delayMs = Math.min((backoff?.delayMs ?? initial / 2) * 2, this.options.maxBackoffMs ?? 30_000);
        this.backoff.set(key, { until: Date.now() + delayMs, delayMs });
        if (err instanceof VolumeOperationError && pod) {
          this.options.recorder.event(pod, "Warning", failureReason, err.message);
        } else {
          this.options.log(`volume step ${key} failed; retrying in ${delayMs} ms`, err);
        }
        this.options.onChange(podUid);
      },
    );
  }
}
