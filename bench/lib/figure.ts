// The one output contract of every bench file: each figure is one JSON line on stdout that starts with
// {"figure": …}, so a bench runs alone (`npx tsx bench/x.ts`) and the runner (bench/run.ts) collects the same lines.
// Anything else a bench wants to say goes to stderr.
import { loadavg } from "node:os";

/** What a figure should be: at most (latency, seconds, memory) or at least (rates) the value. */
export interface Goal {
  op: "<=" | ">=";
  value: number;
}

/** The same figure measured on a peer (raw etcd, kubectl, an empty call) in the same run, on the same machine. */
export interface Peer {
  name: string;
  value: number;
}

export interface Figure {
  /** A stable name, "bench.what" (e.g. "pvbinder.bind_seconds"): the runner's --only and tables use it. */
  figure: string;
  value: number;
  unit: string;
  goal?: Goal;
  peer?: Peer;
  /** Upstream's figure that cannot run here, and where it comes from: shown as a cited constant, never measured. */
  cited?: { value: number; source: string };
  /** Process memory (peak RSS, MiB) of the processes that did the work, for scale figures. */
  rssPeakMiB?: number;
  /** The 1-minute load average when the figure was taken: the machine is shared. */
  load: number;
  /** Sizes and breakdowns that explain the value; not compared. */
  detail?: Record<string, unknown>;
}

/** A figure line as the runner reads it back: anything that is not one is not a figure. */
export function parseFigure(line: string): Figure | undefined {
  if (!line.startsWith('{"figure":')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null) return undefined;
  const f = parsed as Record<string, unknown>;
  if (typeof f.figure !== "string" || typeof f.value !== "number" || !Number.isFinite(f.value)) return undefined;
  if (typeof f.unit !== "string" || typeof f.load !== "number") return undefined;
  return parsed as Figure;
}

/** Whether a value meets its goal. */
export function meets(value: number, goal: Goal): boolean {
  return goal.op === "<=" ? value <= goal.value : value >= goal.value;
}

export const currentLoad = (): number => +loadavg()[0].toFixed(2);

/** Rounds for printing: 3 significant digits below 100, whole numbers above. */
export function round(value: number): number {
  if (Math.abs(value) >= 100) return Math.round(value);
  return Number(value.toPrecision(3));
}
