// The driver's persisted state: one JSON file per object, written to a temp file and renamed into place, so a
// crash leaves either the old record or the new one, never half of one. The state dir is the "cloud": every
// node's driver for one cloud points at the same dir, which is how a controller knows a node exists and where a
// volume's backing file lives.
//
//   <stateDir>/volumes/<volumeId>.json     VolumeRecord          <stateDir>/volumes/<volumeId>.img    backing file
//   <stateDir>/snapshots/<snapshotId>.json SnapshotRecord        <stateDir>/snapshots/<snapshotId>.img
//   <stateDir>/nodes/<nodeId>.json         NodeRecord            (written by each node's driver at startup)
//   <stateDir>/nodes/<nodeId>/staged/<volumeId>.json StagedRecord (what NodeStage set up, for NodeUnstage/Expand)
import { createHash, randomBytes } from "node:crypto";
import { mkdir, readdir } from "node:fs/promises";
import { join } from "node:path";
import { isObject, isStringMap, readOptionalFile, removeFile, writeFileAtomic } from "../core/records.js";

export interface Publication {
  nodeId: string;
  readonly: boolean;
}

export interface VolumeRecord {
  volumeId: string;
  name: string;
  capacityBytes: number;
  parameters: Record<string, string>;
  /** What the volume was made from; restore and clone are decided at create time and never change. */
  contentSource?: { type: "snapshot" | "volume"; id: string };
  /** Segments the volume was created for (accessibility requirements), returned as accessible_topology. */
  topology?: Record<string, string>;
  /** "creating" until the backing file is complete; a retried CreateVolume finishes the job. */
  state: "creating" | "ready" | "deleting";
  /** RWO: at most one node, like a cloud disk attachment. */
  publishedTo?: Publication;
  createdAt: string;
}

export interface SnapshotRecord {
  snapshotId: string;
  name: string;
  sourceVolumeId: string;
  sizeBytes: number;
  state: "creating" | "ready";
  /** RFC 3339 with nanoseconds lost; CSI wants a Timestamp, which we derive. */
  createdAt: string;
}

export interface NodeRecord {
  nodeId: string;
  topology: Record<string, string>;
  maxVolumesPerNode: number;
}

export interface StagedRecord {
  volumeId: string;
  backingFile: string;
  device: string;
  stagingPath: string;
  accessType: "mount" | "block";
  fsType?: string;
  /**
   * Set while NodeExpandVolume grows the filesystem offline: the mounts it took down and must put back. A driver
   * that dies in that window restores them at startup, so a pod's target never stays silently unmounted.
   */
  remounts?: Remount[];
}

export interface Remount {
  target: string;
  fstype: string;
  readonly: boolean;
  /** Filesystem options of the first (source) mount, e.g. ["errors=remount-ro"]. */
  fsOptions: string[];
}

/** Volume and snapshot ids derive from the CO's name, so a CreateVolume retried after a crash lands on the same id. */
export function volumeIdFor(name: string): string {
  return `vol-${createHash("sha256").update(name).digest("hex").slice(0, 24)}`;
}
export function snapshotIdFor(name: string): string {
  return `snap-${createHash("sha256").update(name).digest("hex").slice(0, 24)}`;
}
// Ids come back to us from callers; only our own shape may touch the filesystem (no "..", no slashes).
export const isVolumeId = (id: string): boolean => /^vol-[0-9a-f]{24}$/.test(id);
export const isSnapshotId = (id: string): boolean => /^snap-[0-9a-f]{24}$/.test(id);
// Node ids become file names too; anything outside this alphabet cannot be a node we registered.
export const isSafeNodeId = (id: string): boolean => /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/.test(id);

async function readJson(file: string): Promise<unknown> {
  const text = await readOptionalFile(file);
  return text === undefined ? undefined : (JSON.parse(text) as unknown);
}

/** A directory of JSON records keyed by a safe id. `check` is the parser at the boundary: disk is input too. */
class RecordDir<T> {
  constructor(
    readonly dir: string,
    private readonly check: (value: unknown) => value is T,
  ) {}

  file(id: string, ext = ".json"): string {
    return join(this.dir, `${id}${ext}`);
  }

  async get(id: string): Promise<T | undefined> {
    const value = await readJson(this.file(id));
    if (value === undefined) return undefined;
    if (!this.check(value)) throw new Error(`corrupt state record ${this.file(id)}`);
    return value;
  }

  async put(id: string, record: T): Promise<void> {
    const file = this.file(id);
    await writeFileAtomic(file, `${JSON.stringify(record, null, 2)}\n`, { tmp: tempFileFor(file), mode: 0o600 });
  }

  async remove(id: string): Promise<void> {
    await removeFile(this.file(id));
  }

  async list(): Promise<T[]> {
    const names = await readdir(this.dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT") return [] as string[];
      throw err;
    });
    const out: T[] = [];
    for (const name of names.sort()) {
      if (!name.endsWith(".json")) continue;
      const record = await this.get(name.slice(0, -".json".length));
      if (record) out.push(record);
    }
    return out;
  }
}

function isVolumeRecord(v: unknown): v is VolumeRecord {
  return (
    isObject(v) &&
    typeof v.volumeId === "string" &&
    typeof v.name === "string" &&
    typeof v.capacityBytes === "number" &&
    isStringMap(v.parameters) &&
    (v.state === "creating" || v.state === "ready" || v.state === "deleting")
  );
}
function isSnapshotRecord(v: unknown): v is SnapshotRecord {
  return (
    isObject(v) &&
    typeof v.snapshotId === "string" &&
    typeof v.sourceVolumeId === "string" &&
    typeof v.sizeBytes === "number" &&
    (v.state === "creating" || v.state === "ready")
  );
}
function isNodeRecord(v: unknown): v is NodeRecord {
  return isObject(v) && typeof v.nodeId === "string" && isStringMap(v.topology);
}
function isStagedRecord(v: unknown): v is StagedRecord {
  return (
    isObject(v) &&
    typeof v.volumeId === "string" &&
    typeof v.backingFile === "string" &&
    typeof v.device === "string" &&
    (v.accessType === "mount" || v.accessType === "block")
  );
}

export class BlockState {
  readonly volumes: RecordDir<VolumeRecord>;
  readonly snapshots: RecordDir<SnapshotRecord>;
  readonly nodes: RecordDir<NodeRecord>;
  readonly staged: RecordDir<StagedRecord>;

  private constructor(
    readonly stateDir: string,
    nodeId: string,
  ) {
    this.volumes = new RecordDir(join(stateDir, "volumes"), isVolumeRecord);
    this.snapshots = new RecordDir(join(stateDir, "snapshots"), isSnapshotRecord);
    this.nodes = new RecordDir(join(stateDir, "nodes"), isNodeRecord);
    this.staged = new RecordDir(join(stateDir, "nodes", nodeId, "staged"), isStagedRecord);
  }

  static async open(stateDir: string, nodeId: string): Promise<BlockState> {
    const state = new BlockState(stateDir, nodeId);
    for (const dir of [state.volumes.dir, state.snapshots.dir, state.nodes.dir, state.staged.dir]) {
      await mkdir(dir, { recursive: true, mode: 0o700 });
    }
    await state.collectGarbage();
    return state;
  }

  volumeFile(volumeId: string): string {
    return this.volumes.file(volumeId, ".img");
  }
  snapshotFile(snapshotId: string): string {
    return this.snapshots.file(snapshotId, ".img");
  }

  /**
   * Removes what a crash can leave behind: temp files from interrupted writes and copies, and backing files
   * whose record is gone (a DeleteVolume that died between its two unlinks). Records are written before their
   * backing file and removed after it, so an image without a record is never a live volume.
   */
  private async collectGarbage(): Promise<void> {
    for (const dir of [this.volumes.dir, this.snapshots.dir, this.staged.dir]) {
      const names = await readdir(dir);
      const present = new Set(names);
      for (const name of names) {
        const orphanImage = name.endsWith(".img") && !present.has(`${name.slice(0, -".img".length)}.json`);
        if (orphanImage || isDeadTempFile(name)) await removeFile(join(dir, name));
      }
    }
  }
}

/** Temp names carry their writer's pid; another live driver sharing the state dir may be mid-write. */
export function tempFileFor(file: string): string {
  return `${file}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
}

function isDeadTempFile(name: string): boolean {
  const match = /\.tmp-(\d+)-[0-9a-f]+$/.exec(name);
  if (!match) return false;
  try {
    process.kill(Number(match[1]), 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ESRCH";
  }
}
