// The runner's one table: a row per figure (value, goal, the peer measured in the same run, ratio, load, memory),
// a row per cited upstream figure (marked so, with its source), and a row per bench that failed (no figure).
import { meets, round, type Figure } from "./figure.js";

export interface BenchResult {
  name: string;
  ok: boolean;
  seconds: number;
  figures: Figure[];
  /** Why it failed: exit code, signal or timeout. */
  failure?: string;
}

const show = (n: number) => String(round(n));

function rows(results: readonly BenchResult[]): string[][] {
  const out: string[][] = [];
  for (const r of results) {
    if (!r.ok) out.push([r.name, "FAILED, no figure", "", "", "", "", "", r.failure ?? ""]);
    for (const f of r.figures) {
      const goal = f.goal ? `${f.goal.op} ${show(f.goal.value)} ${meets(f.value, f.goal) ? "met" : "NOT MET"}` : "";
      const peer = f.peer ? `${show(f.peer.value)} (${f.peer.name})` : "";
      const ratio = f.peer && f.peer.value !== 0 ? `${(f.value / f.peer.value).toFixed(2)}x` : "";
      const rss = f.rssPeakMiB !== undefined ? `${f.rssPeakMiB} MiB` : "";
      out.push([f.figure, `${show(f.value)} ${f.unit}`, goal, peer, ratio, String(f.load), rss, ""]);
      if (f.cited)
        out.push([
          `  upstream (cited, not run here)`,
          `${show(f.cited.value)} ${f.unit}`,
          "",
          "",
          `${(f.value / f.cited.value).toFixed(2)}x`,
          "",
          "",
          f.cited.source,
        ]);
    }
  }
  return out;
}

/** The table as text, columns padded (the last, notes, left free). */
export function formatTable(results: readonly BenchResult[]): string {
  const header = ["figure", "value", "goal", "peer (same run)", "ratio", "load", "RSS peak", "notes"];
  const body = rows(results);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join("  ")
      .trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...body.map(line)].join("\n");
}
