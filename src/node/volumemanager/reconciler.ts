// The reconciler (pkg/kubelet/volumemanager/reconciler): every ~100 ms it compares the desired state (pods bound
// here and the volumes they need) with the actual state (what is set up) and starts the next step for each
// volume that differs — tear down what no pod needs, unstage what no pod publishes, attach-wait, stage, publish,
// set up, refresh changed configMaps/secrets, expand. It decides when; each volume's plugin (plugins/registry.ts)
// knows how. Steps run through PendingOperations (operations.ts): one at a time per volume or device, retried with
// backoff, failures a user can act on reported as events.
import { collectFrom, fullPassDone, timed } from "./metrics.js";
import { cleanSubPaths } from "../housekeeping.js";
import type { Pod } from "../../api/core/types.js";
import { EventFileSystemResizeSuccess, EventVolumeResizeFailed } from "../../api/wellknown.js";
import type { Client, EventRecorder, Lister } from "../../client/index.js";
import { AttachPendingError, UncertainOperationError, type PluginContext } from "../plugins/context.js";
import type { VolumePlugin } from "../plugins/plugin.js";
import type { VolumePluginRegistry } from "../plugins/registry.js";
import type { ActualState, MountedVolume } from "./actual.js";
import { volumeKey, type DesiredListers, type DesiredPod, type DesiredVolume } from "./desired.js";
import { PendingOperations } from "./operations.js";
import { DesiredStatePopulator } from "./populator.js";

export interface ReconcilerOptions {
  ctx: PluginContext;
  plugins: VolumePluginRegistry;
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
  plugin: VolumePlugin;
  /** The staged device the volume publishes from (plugins with a device mounter). */
  device?: string;
}

export class Reconciler {
  /** Latest attach-pending state per volume key: reported as "unattached" in timeout events. */
  readonly unattached = new Set<string>();
  private readonly operations: PendingOperations;
  private readonly populator: DesiredStatePopulator;
  private wake?: () => void;
  private pending = false;
  /** The agent's stop signal: long-running mount commands (nfs) are killed with it, so stopping never waits on them. */
  private stopping?: AbortSignal;

  constructor(private readonly options: ReconcilerOptions) {
    this.populator = new DesiredStatePopulator(options.pods, options.listers);
    this.operations = new PendingOperations({
      ...options,
      onFinished: (podUid, succeeded) => {
        options.onChange(podUid);
        if (succeeded) this.trigger();
      },
    });
  }

  /** The desired state, computed from the caches (cheap: no API calls). */
  desiredPods(): DesiredPod[] {
    return this.populator.desiredPods();
  }

  /** The pod's desired volumes (memoized; the pod worker reads them too). Callers must not change the result. */
  desiredOf(pod: Pod): DesiredPod {
    return this.populator.desiredOf(pod);
  }

  /**
   * Whether the volume's claim waits for NodeExpandVolume on this node. A pod whose containers have not started
   * waits for it (upstream expands during MountVolume): a filesystem that can only grow unmounted must not be
   * held open by a container first.
   */
  expansionPending(volume: DesiredVolume): boolean {
    return Boolean(this.options.plugins.forVolume(volume).expander?.pending(this.options.listers, volume));
  }

  private readonly wantedMemo = new WeakMap<DesiredPod, WantedVolume[]>();

  private wantedOf(desired: DesiredPod): WantedVolume[] {
    let out = this.wantedMemo.get(desired);
    if (!out) {
      out = desired.volumes.map((volume) => {
        const plugin = this.options.plugins.forVolume(volume);
        return { key: volumeKey(volume), volume, plugin, device: plugin.deviceMounter?.deviceOf(volume) };
      });
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

  private running(key: string): boolean {
    return this.operations.isRunning(key) || this.operations.isRunning(`expand/${key}`);
  }

  private stillSettled(desired: DesiredPod, wanted: WantedVolume[]): boolean {
    const seen = this.settled.get(desired);
    if (!seen) return false;
    for (let i = 0; i < wanted.length; i++) {
      const { key } = wanted[i];
      if (this.options.actual.volumes.get(key) !== seen[i]) return false;
      if (this.running(key)) return false;
    }
    return true;
  }

  /** After a pass looked at the pod: whether it has nothing left to do, as stillSettled relies on. */
  private noteSettled(desired: DesiredPod, wanted: WantedVolume[]): void {
    const seen: MountedVolume[] = [];
    for (const { key, volume, plugin } of wanted) {
      const mounted = this.options.actual.volumes.get(key);
      // A volume that follows its sources (sourceVersion) is looked at on every pass.
      if (!mounted || mounted.uncertain || plugin.sourceVersion) return;
      if (this.running(key)) return;
      if (plugin.expander?.pending(this.options.listers, volume)) return;
      seen.push(mounted);
    }
    this.settled.set(desired, seen);
  }

  /** Whether every step is finished for the pod's volumes and none is running. */
  idle(): boolean {
    return this.operations.size === 0;
  }

  /** Runs a pass now instead of at the next interval. */
  trigger(): void {
    if (this.wake) this.wake();
    else this.pending = true; // mid-pass: run another pass right after this one
  }

  async run(signal: AbortSignal, intervalMs = 100): Promise<void> {
    this.stopping = signal;
    collectFrom({ desiredPods: () => this.desiredPods(), actual: this.options.actual }, signal);
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
    while (this.operations.size > 0) await new Promise((r) => setTimeout(r, 10));
  }

  /**
   * One pass: start the next step of every volume whose desired and actual state differ. Pods found settled by an
   * earlier pass and unchanged since are not looked at again, except by a full pass every fullPassIntervalMs.
   */
  reconcile(): void {
    const now = Date.now();
    const full = now >= this.nextFullPass;
    if (full) this.nextFullPass = now + (this.options.fullPassIntervalMs ?? 2000);
    const wantedKeys = new Set<string>();
    const wantedDevices = new Set<string>();
    /** The volumes step 3 looks at: those of pods not settled. */
    const check = new Map<string, { wanted: WantedVolume; pod: Pod }>();
    const checked: { desired: DesiredPod; wanted: WantedVolume[] }[] = [];
    for (const desired of this.desiredPods()) {
      const volumes = this.wantedOf(desired);
      const skip = !full && this.stillSettled(desired, volumes);
      for (const wanted of volumes) {
        wantedKeys.add(wanted.key);
        if (!skip) check.set(wanted.key, { wanted, pod: desired.pod });
        if (wanted.device) wantedDevices.add(wanted.device);
      }
      if (!skip) checked.push({ desired, wanted: volumes });
    }
    this.unmountVolumes(wantedKeys);
    this.unmountDevices(wantedDevices);
    for (const { wanted, pod } of check.values()) this.mountOrAttachVolume(wanted, pod);
    for (const { desired, wanted } of checked) this.noteSettled(desired, wanted);
    if (full) fullPassDone(this.options.ctx.nodeName);
  }

  /** 1. Tear down what no pod needs (reconciler.unmountVolumes). */
  private unmountVolumes(wantedKeys: ReadonlySet<string>): void {
    for (const mounted of this.options.actual.volumes.values()) {
      if (wantedKeys.has(mounted.key)) continue;
      const step = timed("volume_unmount", mounted.plugin, mounted.csi?.driverName, () => this.tearDown(mounted));
      this.operations.start(mounted.key, [], step);
    }
  }

  /** 2. Unstage devices nothing publishes any more (unmountDetachDevices). */
  private unmountDevices(wantedDevices: ReadonlySet<string>): void {
    const { actual, ctx, plugins } = this.options;
    let published: Set<string> | undefined; // only needed when some staged device is not wanted
    for (const device of actual.devices.values()) {
      if (wantedDevices.has(device.uniqueName)) continue;
      published ??= actual.publishedDevices();
      if (published.has(device.uniqueName)) continue;
      if (this.operations.deviceBusy(device.uniqueName)) continue;
      const mounter = plugins.deviceMounterOf(device);
      if (!mounter) continue;
      const step = timed("unmount_device", device.plugin, device.driver, async () => {
        await mounter.unmountDevice(ctx, device);
        actual.markUnstaged(device.uniqueName);
      });
      this.operations.start(`device/${device.uniqueName}`, [device.uniqueName], step);
    }
  }

  /** 3. Set up what a pod needs (mountOrAttachVolumes); refresh or expand what is set up. */
  private mountOrAttachVolume(wanted: WantedVolume, pod: Pod): void {
    const { key, volume, plugin, device } = wanted;
    const mounted = this.options.actual.volumes.get(key);
    if (mounted && !mounted.uncertain) {
      if (plugin.sourceVersion && mounted.sourceVersion !== plugin.sourceVersion(this.options.ctx, volume)) {
        this.operations.start(key, [], () => this.setUp(wanted, pod));
      }
      this.expand(wanted, mounted, pod);
      return;
    }
    const reason = plugin.failedReason?.(volume);
    if (
      device &&
      plugin.deviceMounter?.needsStaging(this.options.ctx, volume, this.options.actual.devices.get(device))
    ) {
      if (this.operations.deviceBusy(device)) return;
      this.operations.start(`device/${device}`, [device], () => this.mountDevice(wanted, device), pod, reason);
      return;
    }
    const driver = volume.kind === "csi" ? volume.source.driver : undefined;
    const step = timed("volume_mount", volume.plugin, driver, () => this.setUp(wanted, pod));
    this.operations.start(key, device ? [device] : [], step, pod, reason);
  }

  /** NodeExpandVolume when the volume's claim waits for it (its own key: the volume stays in use meanwhile). */
  private expand({ key, volume, plugin, device }: WantedVolume, mounted: MountedVolume, pod: Pod): void {
    const { ctx, client, listers, recorder } = this.options;
    const expansion = plugin.expander?.pending(listers, volume);
    if (!plugin.expander || !expansion) return;
    const { expander } = plugin;
    const step = async () => {
      const written = await expander.expand(ctx, client, mounted, expansion);
      // The claim's cache is read by GET every few seconds: without this the next pass would see the old claim
      // still waiting and expand (and write) again.
      if (written) listers.claimWritten?.(written);
      const message = `MountVolume.NodeExpandVolume succeeded for volume "${expansion.volume.metadata.name ?? ""}" ${ctx.nodeName}`;
      recorder.event(pod, "Normal", EventFileSystemResizeSuccess, message);
    };
    const driver = volume.kind === "csi" ? volume.source.driver : undefined;
    const timedStep = timed("volume_fs_resize", volume.plugin, driver, step);
    this.operations.start(`expand/${key}`, device ? [device] : [], timedStep, pod, EventVolumeResizeFailed);
  }

  /** MountDevice; a volume waiting to be attached is counted as unattached for the mount timeout's event. */
  private async mountDevice({ key, volume, plugin }: WantedVolume, device: string): Promise<void> {
    const { ctx, actual } = this.options;
    const mounter = plugin.deviceMounter;
    if (!mounter) return;
    try {
      actual.markStaged(await mounter.mountDevice(ctx, volume));
      this.unattached.delete(key);
    } catch (err) {
      if (err instanceof AttachPendingError) this.unattached.add(key);
      // The driver said no for certain and nothing was staged before: the staging directory and
      // vol_data.json written for this try go, or they would wait for the next restart to be cleaned up.
      else if (!(err instanceof UncertainOperationError) && !actual.devices.has(device)) {
        await mounter.forgetDevice(ctx, volume).catch(() => undefined);
      }
      throw err;
    }
  }

  private async setUp({ key, volume, plugin }: WantedVolume, pod: Pod): Promise<void> {
    const { ctx, actual } = this.options;
    try {
      actual.markMounted(await plugin.setUp(ctx, volume, pod, key, this.stopping));
      this.unattached.delete(key);
    } catch (err) {
      if (err instanceof AttachPendingError) this.unattached.add(key);
      throw err;
    }
  }

  private async tearDown(mounted: MountedVolume): Promise<void> {
    const { ctx, actual, plugins } = this.options;
    const plugin = plugins.forMounted(mounted);
    await cleanSubPaths(ctx.paths, mounted.podUid, mounted.innerName);
    await plugin.tearDown(ctx, mounted, this.stopping);
    // Found on disk at start and published from a staged device: make sure the device gets unstaged too.
    const device = plugin.deviceMounter?.publishedFrom(mounted);
    if (device && !actual.devices.has(device.uniqueName)) actual.markStaged(device);
    actual.markUnmounted(mounted.key);
  }
}
