// Node self-fencing (issue 17; docs/fencing.md). An agent that cannot renew its Lease for --fence-after (10 s,
// timed on this process's monotonic clock from when the last successful renewal was sent) must assume the
// controller-manager will soon give its ReadWriteOnce volumes to another node (--node-fence-grace, 15 s, on the
// controller's clock from when it saw that renewal). So it stops first: every container of a pod using such a
// volume is killed, the volume manager tears those volumes down (unpublish, unstage: the block driver detaches its
// loop device) and nothing of those pods starts again while fenced. What it fenced is written to
// <root-dir>/fencing.json (a restarted agent stays fenced), and said in events once the API answers again. Back, it
// lifts the fence itself if the controller never took the node out of service; otherwise it waits for its pods to
// be deleted and, once nothing of theirs is staged or mounted here, says so on its Node (AnnFencedVolumesReleased),
// which is when the controller removes the out-of-service taint.
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Node, Pod } from "../api/core/types.js";
import { AnnFencedVolumesReleased, AnnOutOfServiceSince, TaintNodeOutOfService } from "../api/wellknown.js";
import { isConflict, type Client, type EventRecorder, type Lister } from "../client/index.js";
import { uniqueVolumeName } from "../api/storage/attachmentnames.js";
import type { ProcessRuntime } from "./runtime/process.js";
import type { ActualState } from "./volumemanager/actual.js";
import type { DesiredPod } from "./volumemanager/desired.js";

export const defaultFenceAfterMs = 10_000;
export const fencingRecordFile = "fencing.json";
export const EventFenced = "Fenced";

export interface FencedPod {
  namespace: string;
  name: string;
  uid: string;
}

/** What <root-dir>/fencing.json holds. */
export interface FencingRecord {
  fencedAt: string;
  /** How long the Lease had gone unrenewed when the agent fenced. */
  silentForMs: number;
  pods: FencedPod[];
  /** The PersistentVolumes of those pods that were ReadWriteOnce or ReadWriteOncePod. */
  volumes: string[];
  /** The same volumes as staged devices ("kubernetes.io/csi/<driver>^<handle>"). */
  devices: string[];
  /** Events about it have been written. */
  reported?: boolean;
}

export interface FencingOptions {
  client: Client;
  nodeName: string;
  rootDir: string;
  fenceAfterMs: number;
  pods: Lister<Pod>;
  /** This agent's own Node, as watched. */
  node: () => Node | undefined;
  desiredOf(pod: Pod): DesiredPod;
  actual: ActualState;
  runtime?: ProcessRuntime;
  /** performance.now() when the last successful Lease renewal was sent. */
  lastRenewed(): number;
  /** A pod's fenced state changed: sync it and its volumes again. */
  resync(uid: string): void;
  recorder: EventRecorder;
  log(message: string, err?: unknown): void;
}

const singleNodeModes = new Set(["ReadWriteOnce", "ReadWriteOncePod"]);

/** The pod's claims that only one node may use: what another node will be given if this one goes silent. */
function singleNodeVolumes(desired: DesiredPod): Array<{ pv: string; device: string }> {
  return desired.volumes.flatMap((v) =>
    v.kind === "csi" && v.accessModes.some((mode) => singleNodeModes.has(mode))
      ? [{ pv: v.pvName, device: uniqueVolumeName(v.source.driver, v.source.volumeHandle) }]
      : [],
  );
}

/** Written to a temp file and renamed: a crash leaves the old record or the new one. */
async function writeRecord(file: string, record: FencingRecord): Promise<void> {
  await writeFile(`${file}.tmp`, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
  await rename(`${file}.tmp`, file);
}

export function isFencingRecord(value: unknown): value is FencingRecord {
  if (typeof value !== "object" || value === null) return false;
  const record = value as Partial<FencingRecord>;
  return (
    typeof record.fencedAt === "string" &&
    Array.isArray(record.pods) &&
    Array.isArray(record.volumes) &&
    Array.isArray(record.devices)
  );
}

export class Fencing {
  private record: FencingRecord | undefined;
  private fenced = new Set<string>();
  /** performance.now() at the fence: a renewal sent after it means the API answers again. */
  private fencedAt = 0;
  private busy = false;

  constructor(private readonly options: FencingOptions) {}

  private get file(): string {
    return join(this.options.rootDir, fencingRecordFile);
  }

  /** A previous agent's fence still holds until this one has the API's word (its pods may be elsewhere now). */
  async load(): Promise<void> {
    const text = await readFile(this.file, "utf8").catch(() => undefined);
    if (text === undefined) return;
    const parsed: unknown = JSON.parse(text);
    if (!isFencingRecord(parsed)) throw new Error(`${this.file}: not a fencing record; remove it to start unfenced`);
    this.record = parsed;
    this.fenced = new Set(parsed.pods.map((pod) => pod.uid));
    this.fencedAt = performance.now();
    this.options.log(`still fenced since ${parsed.fencedAt} (${this.file}): ${parsed.pods.length} pods held`);
  }

  /** Whether this pod is fenced: nothing of it starts, and its volumes are torn down. */
  covers(pod: Pod): boolean {
    return this.fenced.has(pod.metadata.uid ?? "");
  }

  /**
   * The pods as the volume manager sees them: a fenced pod whose containers have exited is shown as being deleted,
   * so its volumes are torn down; one whose containers still run keeps them until they exit (killed at the fence).
   */
  view(pods: Lister<Pod>, containersRunning: (uid: string) => boolean): Lister<Pod> {
    const shown = (pod: Pod): Pod =>
      this.covers(pod) && !containersRunning(pod.metadata.uid ?? "") && !pod.metadata.deletionTimestamp
        ? { ...pod, metadata: { ...pod.metadata, deletionTimestamp: this.record?.fencedAt } }
        : pod;
    return {
      get: (key) => {
        const pod = pods.get(key);
        return pod && shown(pod);
      },
      list: (filter) => pods.list(filter).map(shown),
      byIndex: (name, value) => pods.byIndex(name, value).map(shown),
      keys: () => pods.keys(),
    };
  }

  /** Ticks every 500 ms (a small part of --fence-after) until the signal aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const timer = setInterval(() => void this.tick(), 500);
    if (!signal.aborted) await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
    clearInterval(timer);
  }

  /** Called often (every 500 ms): fences when the Lease has gone unrenewed too long, and comes back when it is not. */
  async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const silentForMs = performance.now() - this.options.lastRenewed();
      if (!this.record && silentForMs >= this.options.fenceAfterMs) await this.fence(silentForMs);
      else if (this.options.lastRenewed() > this.fencedAt) await this.whileReachable();
    } catch (err) {
      this.options.log("fencing: step failed; will retry", err);
    } finally {
      this.busy = false;
    }
  }

  private async fence(silentForMs: number): Promise<void> {
    const { pods, desiredOf, runtime, resync } = this.options;
    const held: FencedPod[] = [];
    const volumes = new Set<string>();
    const devices = new Set<string>();
    for (const pod of pods.list()) {
      const found = singleNodeVolumes(desiredOf(pod));
      if (found.length === 0) continue;
      held.push({
        namespace: pod.metadata.namespace ?? "",
        name: pod.metadata.name ?? "",
        uid: pod.metadata.uid ?? "",
      });
      for (const { pv, device } of found) {
        volumes.add(pv);
        devices.add(device);
      }
    }
    const record: FencingRecord = {
      fencedAt: new Date().toISOString(),
      silentForMs: Math.round(silentForMs),
      pods: held,
      volumes: [...volumes].sort(),
      devices: [...devices].sort(),
    };
    // Recorded first: an agent restarted part way stays fenced.
    await writeRecord(this.file, record);
    this.record = record;
    this.fenced = new Set(held.map((pod) => pod.uid));
    this.fencedAt = performance.now();
    for (const pod of held) {
      // No grace: the point is to stop writing before another node may mount the volume.
      void runtime?.killPod(pod.uid, 0);
      resync(pod.uid);
    }
    this.options.log(
      `could not renew the node lease for ${Math.round(silentForMs / 1000)}s: fenced ${held.length} pods ` +
        `(${held.map((p) => `${p.namespace}/${p.name}`).join(", ") || "none"}), releasing ${record.volumes.join(", ") || "no volumes"}`,
    );
  }

  /** Whether nothing of the fenced pods runs, is mounted or is staged here any more. */
  released(): boolean {
    const { actual, runtime } = this.options;
    for (const uid of this.fenced) {
      if (runtime?.podRunning(uid) || actual.volumesOfPod(uid).length > 0) return false;
    }
    return !(this.record?.devices ?? []).some((device) => actual.devices.has(device));
  }

  /** Whether no CSI volume is mounted or staged here: what a node taken out of service must reach. */
  private nothingHeld(): boolean {
    const { actual } = this.options;
    return actual.devices.size === 0 && ![...actual.volumes.values()].some((volume) => volume.csi);
  }

  /** The API answers: report the fence once, then lift it or wait for the controller's word. */
  private async whileReachable(): Promise<void> {
    const { client, nodeName } = this.options;
    const record = this.record;
    if (record && !record.reported && this.released()) await this.report(record);
    // Fenced: the API's word, fresh (a cached Node may predate the taint). Else the watched Node is enough.
    const node = record ? await client.nodes.get(nodeName) : this.options.node();
    if (!node) return;
    const outOfService = node.spec?.taints?.some((t) => t.key === TaintNodeOutOfService) ?? false;
    if (!outOfService) {
      if (record && !record.reported) await this.report(record); // lifted before it was all torn down
      if (record) await this.lift();
      return;
    }
    // Taken out of service (by the controller, or an admin): say when nothing of before is left here.
    const ours = node.metadata.annotations?.[AnnOutOfServiceSince] !== undefined;
    if (
      ours &&
      (!record || this.released()) &&
      this.nothingHeld() &&
      node.metadata.annotations?.[AnnFencedVolumesReleased] !== "true"
    ) {
      await this.markReleased(node);
    }
  }

  /** Says what was fenced, once: on the Node, and on each of its pods still bound here. */
  private async report(record: FencingRecord): Promise<void> {
    const { recorder, nodeName } = this.options;
    const names = record.pods.map((p) => `${p.namespace}/${p.name}`).join(", ") || "no pods";
    const ref = { apiVersion: "v1", kind: "Node", name: nodeName, uid: this.options.node()?.metadata.uid ?? "" };
    recorder.event(
      ref,
      "Warning",
      EventFenced,
      `Node ${nodeName} could not renew its lease for ${Math.round(record.silentForMs / 1000)}s and fenced itself ` +
        `at ${record.fencedAt}: stopped ${names}; released ${record.volumes.join(", ") || "no volumes"}`,
    );
    for (const pod of record.pods) {
      const live = this.options.pods.get(`${pod.namespace}/${pod.name}`);
      if (live?.metadata.uid === pod.uid) {
        recorder.event(
          live,
          "Warning",
          EventFenced,
          `Node ${nodeName} lost its API lease: containers stopped and ReadWriteOnce volumes released so that another node may take over`,
        );
      }
    }
    record.reported = true;
    await writeRecord(this.file, record);
  }

  /** The controller never took this node out of service: its pods are still its own, and run again. */
  private async lift(): Promise<void> {
    const uids = [...this.fenced];
    this.record = undefined;
    this.fenced = new Set();
    await rm(this.file, { force: true });
    for (const uid of uids) {
      this.options.runtime?.allowRestart(uid);
      this.options.resync(uid);
    }
    this.options.log(`lease renewed again: fence lifted (${uids.length} pods may run again)`);
  }

  private async markReleased(node: Node): Promise<void> {
    const { client, nodeName } = this.options;
    let current = node;
    for (let attempt = 0; ; attempt++) {
      const annotations = { ...(current.metadata.annotations ?? {}), [AnnFencedVolumesReleased]: "true" };
      try {
        await client.nodes.update({ ...current, metadata: { ...current.metadata, annotations } });
        break;
      } catch (err) {
        if (!isConflict(err) || attempt >= 5) throw err;
        current = await client.nodes.get(nodeName);
      }
    }
    this.options.log("out of service and nothing fenced is left here: told the controller (fenced volumes released)");
    // Done: the record goes. The pods stay fenced in this process: they are deleted, but a stale cache may still
    // show them for a moment, and nothing of theirs may start here again.
    this.record = undefined;
    await rm(this.file, { force: true });
  }
}
