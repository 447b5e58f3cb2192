// GET /containerLogs/{namespace}/{pod}/{container}: the kubelet's half of `kubectl logs`. The query is decoded
// as PodLogOptions (pkg/kubelet/server getContainerLogs), the container's status decides which log file is read
// (validateContainerLogStatus, with its messages), and the CRI log file is streamed as the container wrote it:
// tail, since, timestamps, limitBytes, and follow until the container stops.
import { open, stat, type FileHandle } from "node:fs/promises";
import type { ContainerStatus, Pod } from "../../api/core/types.js";
import { parseCriLine, tailStart, timeOf, timestampOf, type LogRecord } from "./crilog.js";

export interface LogOptions {
  follow: boolean;
  previous: boolean;
  timestamps: boolean;
  /** Records older than this (ms since the epoch) are skipped: sinceTime, or now - sinceSeconds. */
  since?: number;
  tailLines?: number;
  limitBytes?: number;
}

/** A request the kubelet refuses; `code` is the HTTP status and the message its plain-text body, as the kubelet's. */
export class KubeletRequestError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

// Go's strconv.ParseBool, which the parameter codec uses.
function parseGoBool(text: string): boolean | undefined {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(text)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(text)) return false;
  return undefined;
}

/** The query as the kubelet decodes and validates it: undecodable → 400, invalid → 422, with its bodies. */
export function parseLogQuery(query: URLSearchParams, now = Date.now()): LogOptions {
  const undecodable = () => new KubeletRequestError(400, `{"message": "Unable to decode query."}`);
  const invalidRequest = () => new KubeletRequestError(422, `{"message": "Invalid request."}`);
  const bool = (name: string): boolean => {
    const text = query.get(name);
    if (text === null || text === "") return false;
    const value = parseGoBool(text);
    if (value === undefined) throw undecodable();
    return value;
  };
  const int = (name: string): number | undefined => {
    const text = query.get(name);
    if (text === null || text === "") return undefined;
    if (!/^[+-]?\d+$/.test(text)) throw undecodable();
    return Number(text);
  };
  // The legacy "tail" parameter; "all" is the same as none.
  const tail = query.get("tail");
  const tailLines = tail !== null && tail !== "" ? (tail === "all" ? undefined : int("tail")) : int("tailLines");
  const limitBytes = int("limitBytes");
  const sinceSeconds = int("sinceSeconds");
  const sinceTimeText = query.get("sinceTime");
  let sinceTime: number | undefined;
  if (sinceTimeText) {
    sinceTime = Date.parse(sinceTimeText);
    if (Number.isNaN(sinceTime) || !/^\d{4}-\d{2}-\d{2}T/.test(sinceTimeText)) throw undecodable();
  }
  // ValidatePodLogOptions.
  if (tailLines !== undefined && tailLines < 0) throw invalidRequest();
  if (limitBytes !== undefined && limitBytes < 1) throw invalidRequest();
  if (sinceSeconds !== undefined && sinceTime !== undefined) throw invalidRequest();
  if (sinceSeconds !== undefined && sinceSeconds < 1) throw invalidRequest();
  return {
    follow: bool("follow"),
    previous: bool("previous"),
    timestamps: bool("timestamps"),
    since: sinceTime ?? (sinceSeconds !== undefined ? now - sinceSeconds * 1000 : undefined),
    tailLines,
    limitBytes,
  };
}

function containerStatusOf(pod: Pod, name: string): ContainerStatus | undefined {
  const status = pod.status;
  return (
    status?.containerStatuses?.find((c) => c.name === name) ??
    status?.initContainerStatuses?.find((c) => c.name === name)
  );
}

/**
 * Which run of the container to read (its restart count, the index of its log file), or the kubelet's refusal
 * (validateContainerLogStatus, answered as 400 with these messages).
 */
export function logRestartCount(pod: Pod, container: string, previous: boolean): number {
  const podName = pod.metadata.name ?? "";
  const status = containerStatusOf(pod, container);
  const refuse = (message: string) => new KubeletRequestError(400, message);
  if (!status) throw refuse(`container "${container}" in pod "${podName}" is not available`);
  const { waiting, running, terminated } = status.state ?? {};
  const lastTerminated = status.lastState?.terminated;
  // A run's log file is named by the restart count it started with (runtime process), so the last terminated run
  // is the current count while the container waits to be restarted (CrashLoopBackOff: no new run yet), and the
  // one before once a new run has started.
  const lastRun = Math.max(0, waiting?.reason === "CrashLoopBackOff" ? status.restartCount : status.restartCount - 1);
  if (previous) {
    if (!lastTerminated) throw refuse(`previous terminated container "${container}" in pod "${podName}" not found`);
    return lastRun;
  }
  if (running || terminated) return status.restartCount;
  if (lastTerminated) return lastRun;
  if (waiting) {
    switch (waiting.reason) {
      case "ErrImagePull":
        throw refuse(`container "${container}" in pod "${podName}" is waiting to start: image can't be pulled`);
      case "ImagePullBackOff":
        throw refuse(
          `container "${container}" in pod "${podName}" is waiting to start: trying and failing to pull image`,
        );
      default:
        throw refuse(`container "${container}" in pod "${podName}" is waiting to start: ${waiting.reason ?? ""}`);
    }
  }
  throw refuse(`container "${container}" in pod "${podName}" is waiting to start - no logs yet`);
}

const idle = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });

/** Output is written in chunks of about this size. */
const batchBytes = 64 * 1024;
/** The log file is read in blocks of this size (and the tail found from the end in these steps). */
const readBlockBytes = 256 * 1024;

/**
 * Where the last `lines` lines of the file start (tail.FindTailLineStartIndex), reading blocks backwards from the
 * end until enough newlines are seen: only the tail is read, however long the file.
 */
async function tailOffset(file: FileHandle, size: number, lines: number): Promise<number> {
  let start = size;
  let tail = Buffer.alloc(0);
  const newlines = () => {
    let count = 0;
    for (let i = 0; i < tail.length - 1; i++) if (tail[i] === 0x0a) count++;
    return count;
  };
  while (start > 0 && newlines() < lines + 1) {
    const from = Math.max(0, start - readBlockBytes);
    const block = Buffer.alloc(start - from);
    await file.read(block, 0, block.length, from);
    tail = Buffer.concat([block, tail]);
    start = from;
  }
  return start + tailStart(tail, lines);
}

/** How often a follower looks for new lines, and whether its container still runs. */
const followPollMs = 100;

/**
 * The container's output from its CRI log file, as the kubelet's ReadLogs writes it. With follow, waits for more
 * until the container stops (`isRunning` false and nothing left to read) or the signal aborts. A log file that does
 * not exist yet is empty output: the container has not written anything.
 */
/** The rendering of CRI lines to output: since, timestamps and the byte limit, counted across calls. */
function logRenderer(options: LogOptions) {
  let remaining = options.limitBytes ?? Infinity;
  const render = (record: LogRecord): Buffer | undefined => {
    if (options.since !== undefined && timeOf(record) < options.since) return undefined;
    const out = options.timestamps
      ? Buffer.concat([Buffer.from(`${timestampOf(record)} `), record.content])
      : record.content;
    if (out.length <= remaining) {
      remaining -= out.length;
      return out;
    }
    const cut = out.subarray(0, remaining);
    remaining = 0;
    return cut;
  };
  /** Renders every complete line of `data`; returns the bytes of a trailing incomplete line left unread. */
  function* lines(data: Buffer, final: boolean): Generator<Buffer, number> {
    // Rendered records go out in batches: a write per line costs more than the line.
    let batch: Buffer[] = [];
    let batched = 0;
    let start = 0;
    let left = 0;
    while (start < data.length && remaining > 0) {
      const end = data.indexOf(0x0a, start);
      if (end < 0 && !final) {
        left = data.length - start;
        break;
      }
      const line = data.subarray(start, end < 0 ? data.length : end + 1);
      start = end < 0 ? data.length : end + 1;
      let record: LogRecord;
      try {
        record = parseCriLine(line);
      } catch {
        continue; // the kubelet skips (and logs) a line it cannot parse
      }
      const out = render(record);
      if (!out || out.length === 0) continue;
      batch.push(out);
      batched += out.length;
      if (batched >= batchBytes) {
        yield Buffer.concat(batch);
        batch = [];
        batched = 0;
      }
    }
    if (batched > 0) yield Buffer.concat(batch);
    return left;
  }
  return {
    lines,
    get remaining() {
      return remaining;
    },
  };
}

export async function* readContainerLog(
  path: string,
  options: LogOptions,
  isRunning: () => boolean,
  signal: AbortSignal,
): AsyncGenerator<Buffer> {
  const renderer = logRenderer(options);
  const lines = renderer.lines.bind(renderer);

  // What is there now, read in blocks from where the tail starts (found from the end), never the whole file at
  // once: a log may be large, and --limit-bytes stops the reading as soon as it is met.
  let size = 0;
  let left = 0;
  const file = await open(path, "r").catch((err: NodeJS.ErrnoException) => {
    if (err.code !== "ENOENT") throw err;
    return undefined;
  });
  if (file) {
    try {
      size = (await file.stat()).size;
      let position = options.tailLines !== undefined ? await tailOffset(file, size, options.tailLines) : 0;
      let carried = Buffer.alloc(0);
      while (position < size && renderer.remaining > 0) {
        const block = Buffer.alloc(Math.min(readBlockBytes, size - position));
        const { bytesRead } = await file.read(block, 0, block.length, position);
        if (bytesRead === 0) break;
        position += bytesRead;
        const data = carried.length > 0 ? Buffer.concat([carried, block.subarray(0, bytesRead)]) : block;
        left = yield* lines(data.subarray(0, carried.length + bytesRead), position >= size && !options.follow);
        carried = Buffer.from(data.subarray(carried.length + bytesRead - left, carried.length + bytesRead));
      }
      size = position;
    } finally {
      await file.close();
    }
  }
  if (!options.follow || renderer.remaining <= 0) return;

  // offset: where the next unread line starts; seen: how much of the file has been looked at (offset + an
  // incomplete last line), so an incomplete line is read again only once the file grew.
  let offset = size - left;
  let seen = size;
  let stopped = false;
  while (!signal.aborted && renderer.remaining > 0) {
    const size = await stat(path).then(
      (s) => s.size,
      () => 0,
    );
    if (size < offset) offset = seen = 0; // truncated or replaced: read the new file from its start
    if (size > seen || (stopped && seen > offset)) {
      const handle = await open(path, "r");
      try {
        const chunk = Buffer.alloc(size - offset);
        const { bytesRead } = await handle.read(chunk, 0, chunk.length, offset);
        left = yield* lines(chunk.subarray(0, bytesRead), stopped);
        seen = offset + bytesRead;
        offset = seen - left;
      } finally {
        await handle.close();
      }
      if (!stopped) continue;
    }
    if (stopped) return;
    // The container stopped: one more look for what it wrote last (a last line without its newline included).
    if (!isRunning()) {
      stopped = true;
      continue;
    }
    await idle(followPollMs, signal);
  }
}
