// The hostpath driver's memory: volumes, snapshots and where each volume is published, in one JSON file in the
// state dir. A change is written to a temporary file, fsynced, and renamed over state.json, so a crash at any
// instant leaves either the old or the new state on disk, never a torn one. Node calls (stage, publish and back)
// change one volume's record each, and rewriting every volume for each of them made a publish cost grow with the
// number of volumes: those append the one record to state.journal instead, which open() replays over state.json
// (a torn last line is a write nobody was told succeeded, and is skipped). Every full write starts a new journal
// generation, so lines older than the state.json they were folded into are never replayed over it.
// Creating and deleting a volume change one record too, and are journaled the same way (with nextSeq, so a
// sequence number is never reused): one appended line and one fdatasync instead of a rewrite, a file sync, a
// directory sync and a truncate per call. Snapshots and ControllerPublish still rewrite state.json.
// Concurrent changes share one write (group commit): a caller's save() resolves once a write that includes its
// change is durable. The journal stays open with O_DSYNC, so a group commit is one write() that returns once the
// lines are on disk: one trip to the thread pool instead of open, write, fdatasync and close.
import { constants } from "node:fs";
import { open, truncate, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { isObject as isRecord, readOptionalFile, syncDirectoryOf, writeFileAtomic } from "../core/records.js";

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
  /** An inline (ephemeral) volume: made by NodePublishVolume, deleted by its NodeUnpublishVolume. */
  ephemeral?: true;
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
  /** Journal lines of this generation are newer than this file; older ones were folded into it. */
  journalGeneration?: number;
  volumes: Record<string, VolumeRecord>;
  snapshots: Record<string, SnapshotRecord>;
}

export class StateCorruptError extends Error {
  override name = "StateCorruptError";
}

const emptyState = (): HostpathState => ({ version: 1, nextSeq: 1, volumes: {}, snapshots: {} });

// Checked field by field; the remaining fields are written only by this module.
const isVolumeRecord = (v: unknown, id: string): v is VolumeRecord =>
  isRecord(v) &&
  v.id === id &&
  typeof v.name === "string" &&
  typeof v.seq === "number" &&
  typeof v.capacityBytes === "number" &&
  isRecord(v.publishedNodes) &&
  isRecord(v.staged) &&
  isRecord(v.targets) &&
  isRecord(v.parameters);

// The file is ours, but it is still input: a hand edit or a different version must fail loudly at startup,
// not as a TypeError deep inside a CSI call.
function parseState(text: string, file: string): HostpathState {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new StateCorruptError(`${file}: not JSON (${(err as Error).message})`);
  }
  if (!isRecord(value) || value.version !== 1) throw new StateCorruptError(`${file}: not a version 1 hostpath state`);
  const { nextSeq, volumes, snapshots } = value;
  if (typeof nextSeq !== "number" || !isRecord(volumes) || !isRecord(snapshots)) {
    throw new StateCorruptError(`${file}: missing nextSeq, volumes or snapshots`);
  }
  if (value.journalGeneration !== undefined && typeof value.journalGeneration !== "number") {
    throw new StateCorruptError(`${file}: journalGeneration is not a number`);
  }
  for (const [id, v] of Object.entries(volumes)) {
    if (!isVolumeRecord(v, id)) throw new StateCorruptError(`${file}: volume ${JSON.stringify(id)} is malformed`);
  }
  for (const [id, s] of Object.entries(snapshots)) {
    if (!isRecord(s) || s.id !== id || typeof s.name !== "string" || typeof s.sourceVolumeId !== "string") {
      throw new StateCorruptError(`${file}: snapshot ${JSON.stringify(id)} is malformed`);
    }
  }
  // Checked field by field above; the remaining fields are written only by this module.
  return value as unknown as HostpathState;
}

/**
 * The state as it stands, state.json with its journal replayed, read without writing anything: for tests and tools
 * that look at a driver while it runs (StateFile.open folds the journal in and is the driver's alone).
 */
export async function readState(dir: string): Promise<HostpathState> {
  const path = join(dir, "state.json");
  const text = await readOptionalFile(path);
  const state = text === undefined ? emptyState() : parseState(text, path);
  const journalPath = join(dir, "state.journal");
  const journal = await readOptionalFile(journalPath);
  if (journal) replayJournal(state, journal, journalPath);
  return state;
}

/** One journal line: a volume's record as it now is, or null once the volume is gone. */
interface JournalEntry {
  generation: number;
  volume: string;
  record: VolumeRecord | null;
  /** The state's nextSeq when written: a created volume's seq is never handed out again after a restart. */
  nextSeq?: number;
}

/** Replays `<dir>/state.journal` over the state loaded from state.json; returns how many lines applied. */
function replayJournal(state: HostpathState, text: string, file: string): number {
  const generation = state.journalGeneration ?? 0;
  let applied = 0;
  for (const line of text.split("\n")) {
    if (line === "") continue;
    let entry: unknown;
    try {
      entry = JSON.parse(line);
    } catch {
      continue; // torn by a crash mid-append: that save never returned
    }
    if (!isRecord(entry) || typeof entry.generation !== "number" || typeof entry.volume !== "string") {
      throw new StateCorruptError(`${file}: a line is not a journal entry: ${line.slice(0, 200)}`);
    }
    if (entry.generation !== generation) continue; // already in state.json
    const { volume, record, nextSeq } = entry as unknown as JournalEntry;
    if (typeof nextSeq === "number" && nextSeq > state.nextSeq) state.nextSeq = nextSeq;
    if (record === null) delete state.volumes[volume];
    else if (isVolumeRecord(record, volume)) state.volumes[volume] = record;
    else throw new StateCorruptError(`${file}: volume ${JSON.stringify(volume)} is malformed`);
    applied++;
  }
  return applied;
}

/** What CreateVolume asks of every volume at once, kept up to date instead of scanned per call. */
interface VolumeIndex {
  /** volume name → id. */
  byName: Map<string, string>;
  /** Bytes promised to volumes (the sum of capacityBytes), for --capacity accounting. */
  usedBytes: number;
  count: number;
}

// A fold rewrites every record with two fsyncs (file and directory): at 256 lines it was one write in thirty under
// 16 concurrent callers. Replaying 4,096 short lines at the next start takes milliseconds.
const minJournalLimit = 4096;

export class StateFile {
  private changes = 0;
  private persisted = 0;
  private writing: Promise<void> | undefined;
  /** Volumes whose records the next write appends to the journal. */
  private readonly journaled = new Set<string>();
  /** The next write rewrites state.json (controller changes, a failed write, a journal grown long). */
  private rewrite = false;
  private journalLines = 0;
  /** Past this many lines the next write folds the journal into state.json (the volume count at the last fold). */
  private journalLimit = minJournalLimit;
  /** The journal, open for appending while the driver runs (see the top). */
  private journal: FileHandle | undefined;
  readonly journalPath: string;

  private constructor(
    readonly path: string,
    readonly state: HostpathState,
  ) {
    this.journalPath = join(path, "..", "state.journal");
  }

  /** Loads `<dir>/state.json` and the journal after it, or starts empty when there is none. */
  static async open(dir: string): Promise<StateFile> {
    const path = join(dir, "state.json");
    const text = await readOptionalFile(path);
    const file = new StateFile(path, text === undefined ? emptyState() : parseState(text, path));
    const journal = await readOptionalFile(file.journalPath);
    // Fold what the journal added into state.json now, so it starts short: once per start, not per call.
    if (journal && replayJournal(file.state, journal, file.journalPath) > 0) await file.save();
    return file;
  }

  /** The next creation sequence number (persisted with the next save). */
  takeSeq(): number {
    return this.state.nextSeq++;
  }

  /** Built on first use and kept by putVolume/removeVolume/resizeVolume: no call scans every volume. */
  private index: VolumeIndex | undefined;

  private volumeIndex(): VolumeIndex {
    if (!this.index) {
      const volumes = Object.values(this.state.volumes);
      this.index = {
        byName: new Map(volumes.map((v) => [v.name, v.id])),
        usedBytes: volumes.reduce((sum, v) => sum + v.capacityBytes, 0),
        count: volumes.length,
      };
    }
    return this.index;
  }

  /** The volume CreateVolume made under `name`, if any. */
  volumeNamed(name: string): VolumeRecord | undefined {
    const id = this.volumeIndex().byName.get(name);
    const volume = id === undefined ? undefined : this.state.volumes[id];
    return volume?.name === name ? volume : undefined;
  }

  /** Bytes promised to volumes (what --capacity accounting subtracts). */
  usedBytes(): number {
    return this.volumeIndex().usedBytes;
  }

  /** Adds (or replaces) a volume's record; saved with the next save({ volume: id }). */
  putVolume(volume: VolumeRecord): void {
    const index = this.volumeIndex();
    const previous = this.state.volumes[volume.id];
    if (previous) {
      index.usedBytes -= previous.capacityBytes;
      index.count--;
    }
    this.state.volumes[volume.id] = volume;
    index.byName.set(volume.name, volume.id);
    index.usedBytes += volume.capacityBytes;
    index.count++;
  }

  /** Gives a volume a new capacity (ControllerExpandVolume); saved with the next save({ volume: id }). */
  resizeVolume(volume: VolumeRecord, capacityBytes: number): void {
    const index = this.volumeIndex();
    index.usedBytes += capacityBytes - volume.capacityBytes;
    volume.capacityBytes = capacityBytes;
  }

  /** Removes a volume's record; saved with the next save({ volume: id }). */
  removeVolume(id: string): void {
    const volume = this.state.volumes[id];
    if (!volume) return;
    const index = this.volumeIndex();
    delete this.state.volumes[id];
    if (index.byName.get(volume.name) === id) index.byName.delete(volume.name);
    index.usedBytes -= volume.capacityBytes;
    index.count--;
  }

  /**
   * Makes every change made to `state` so far durable. `change.volume` says that only that volume's record
   * changed (a node call), which appends it to the journal instead of rewriting every volume.
   */
  async save(change?: { volume: string }): Promise<void> {
    if (change && this.journalLines < this.journalLimit) {
      this.journaled.add(change.volume);
    } else {
      this.rewrite = true;
    }
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
    const rewrite = this.rewrite || this.journaled.size === 0;
    const volumes = [...this.journaled];
    this.rewrite = false;
    this.journaled.clear();
    try {
      if (rewrite) await this.writeAll();
      else await this.append(volumes);
    } catch (err) {
      // What this write carried is not known to be on disk: the next one rewrites everything.
      this.rewrite = true;
      throw err;
    }
    this.persisted = covers;
  }

  private async writeAll(): Promise<void> {
    const generation = (this.state.journalGeneration ?? 0) + 1;
    const text = JSON.stringify({ ...this.state, journalGeneration: generation });
    // The rename itself is durable only once the directory is synced.
    await writeFileAtomic(this.path, text, { syncDirectory: true });
    this.state.journalGeneration = generation;
    // Every line in the journal is of an older generation now: never replayed, so emptying it is only tidiness.
    // (The open handle appends at the new end: O_APPEND.) A journal as long as the state is before the next fold
    // keeps both the journal's replay and the rewrites' cost proportional to the changes.
    this.journalLines = 0;
    this.journalLimit = Math.max(minJournalLimit, this.volumeIndex().count);
    await truncate(this.journalPath, 0).catch(() => undefined);
  }

  /** The journal's handle, opened (and its directory entry made durable) on the first append. */
  private async journalHandle(): Promise<FileHandle> {
    if (!this.journal) {
      const { O_WRONLY, O_APPEND, O_CREAT, O_DSYNC } = constants;
      const handle = await open(this.journalPath, O_WRONLY | O_APPEND | O_CREAT | O_DSYNC, 0o666);
      // A journal just created is durable only once its directory entry is (once per start: cheap).
      await syncDirectoryOf(this.journalPath);
      this.journal = handle;
    }
    return this.journal;
  }

  /** Closes the journal's handle (the driver stopping); a later save opens it again. */
  async close(): Promise<void> {
    const handle = this.journal;
    this.journal = undefined;
    await handle?.close();
  }

  private async append(volumes: string[]): Promise<void> {
    const generation = this.state.journalGeneration ?? 0;
    // Each line starts on a fresh line, so a line left torn by a failed write cannot swallow the next one.
    const lines = volumes.map((volume) => {
      const entry: JournalEntry = {
        generation,
        volume,
        record: this.state.volumes[volume] ?? null,
        nextSeq: this.state.nextSeq,
      };
      return `\n${JSON.stringify(entry)}`;
    });
    const handle = await this.journalHandle();
    // One write: O_DSYNC returns once the lines are on disk (a short write would be torn: see replayJournal).
    const { bytesWritten, buffer } = await handle.write(Buffer.from(lines.join("") + "\n"));
    if (bytesWritten !== buffer.length) throw new Error(`${this.journalPath}: short write (${bytesWritten} bytes)`);
    this.journalLines += lines.length;
  }
}
