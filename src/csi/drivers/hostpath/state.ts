// The hostpath driver's memory: volumes, snapshots and where each volume is published, in one JSON file in the
// state dir. Every change is written to a temporary file, fsynced, and renamed over state.json, so a crash at
// any instant leaves either the old or the new state on disk, never a torn one. Concurrent changes share one
// write (group commit): a caller's save() resolves once a write that includes its change is durable.
import { open, readFile, rename } from "node:fs/promises";
import { join } from "node:path";

export interface VolumeRecord {
  id: string;
  /** CreateVolume's name: the idempotency key. */
  name: string;
  /** Creation order; ListVolumes pages by it so tokens survive deletions. */
  seq: number;
  capacityBytes: number;
  /** What CreateVolume asked for, to tell a retry from a conflicting re-create. */
  requiredBytes: number;
  limitBytes: number;
  parameters: Record<string, string>;
  source?: { snapshotId: string } | { volumeId: string };
  createdAt: number;
  /** ControllerPublishVolume: node id → how it was published. */
  publishedNodes: Record<string, { readonly: boolean }>;
  /** NodeStageVolume: staging path → staged. */
  staged: Record<string, { readonly: boolean }>;
  /** NodePublishVolume: target path → bind mount. */
  targets: Record<string, { readonly: boolean }>;
}

export interface SnapshotRecord {
  id: string;
  name: string;
  seq: number;
  sourceVolumeId: string;
  /** The source volume's capacity when cut: a restore needs at least this much. */
  sizeBytes: number;
  createdAt: number;
}

export interface HostpathState {
  version: 1;
  nextSeq: number;
  volumes: Record<string, VolumeRecord>;
  snapshots: Record<string, SnapshotRecord>;
}

export class StateCorruptError extends Error {
  override name = "StateCorruptError";
}

const emptyState = (): HostpathState => ({ version: 1, nextSeq: 1, volumes: {}, snapshots: {} });

// The file is ours, but it is still input: a hand edit or a different version must fail loudly at startup,
// not as a TypeError deep inside a CSI call.
function parseState(text: string, file: string): HostpathState {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new StateCorruptError(`${file}: not JSON (${(err as Error).message})`);
  }
  const isRecord = (v: unknown): v is Record<string, unknown> =>
    typeof v === "object" && v !== null && !Array.isArray(v);
  if (!isRecord(value) || value.version !== 1) throw new StateCorruptError(`${file}: not a version 1 hostpath state`);
  const { nextSeq, volumes, snapshots } = value;
  if (typeof nextSeq !== "number" || !isRecord(volumes) || !isRecord(snapshots)) {
    throw new StateCorruptError(`${file}: missing nextSeq, volumes or snapshots`);
  }
  for (const [id, v] of Object.entries(volumes)) {
    if (
      !isRecord(v) ||
      v.id !== id ||
      typeof v.name !== "string" ||
      typeof v.seq !== "number" ||
      typeof v.capacityBytes !== "number" ||
      !isRecord(v.publishedNodes) ||
      !isRecord(v.staged) ||
      !isRecord(v.targets) ||
      !isRecord(v.parameters)
    ) {
      throw new StateCorruptError(`${file}: volume ${JSON.stringify(id)} is malformed`);
    }
  }
  for (const [id, s] of Object.entries(snapshots)) {
    if (!isRecord(s) || s.id !== id || typeof s.name !== "string" || typeof s.sourceVolumeId !== "string") {
      throw new StateCorruptError(`${file}: snapshot ${JSON.stringify(id)} is malformed`);
    }
  }
  // Checked field by field above; the remaining fields are written only by this module.
  return value as unknown as HostpathState;
}

export class StateFile {
  private changes = 0;
  private persisted = 0;
  private writing: Promise<void> | undefined;

  private constructor(
    readonly path: string,
    readonly state: HostpathState,
  ) {}

  /** Loads `<dir>/state.json`, or starts empty when there is none. */
  static async open(dir: string): Promise<StateFile> {
    const path = join(dir, "state.json");
    const text = await readFile(path, "utf8").catch((err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT") return undefined;
      throw err;
    });
    return new StateFile(path, text === undefined ? emptyState() : parseState(text, path));
  }

  /** The next creation sequence number (persisted with the next save). */
  takeSeq(): number {
    return this.state.nextSeq++;
  }

  /** Makes every change made to `state` so far durable. */
  async save(): Promise<void> {
    const target = ++this.changes;
    while (this.persisted < target) {
      if (this.writing) {
        await this.writing.catch(() => undefined);
        continue;
      }
      this.writing = this.writeOnce();
      try {
        await this.writing;
      } finally {
        this.writing = undefined;
      }
    }
  }

  private async writeOnce(): Promise<void> {
    const covers = this.changes;
    const text = JSON.stringify(this.state);
    const tmp = `${this.path}.tmp`;
    const file = await open(tmp, "w");
    try {
      await file.writeFile(text);
      await file.datasync();
    } finally {
      await file.close();
    }
    await rename(tmp, this.path);
    // The rename itself is durable only once the directory is synced.
    const dir = await open(join(this.path, ".."), "r");
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
    this.persisted = covers;
  }
}
