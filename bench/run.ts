// `npm run bench`: every benchmark, one after another (so they do not measure each other), each in its own process,
// collected into one table (or --json). A bench that fails its check, times out or crashes shows as FAILED with no
// figure, and the runner exits 1.
//   npm run bench [-- --quick] [--only name,name] [--json]
// Each bench also runs alone: `npx tsx bench/<name>.ts [--quick]` prints the same figure lines (bench/lib/figure.ts).
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { availableParallelism, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { parseFigure, type Figure } from "./lib/figure.js";
import { formatTable, type BenchResult } from "./lib/table.js";

interface Entry {
  name: string;
  /** Arguments for the full run; --quick is passed on as is. */
  args?: string[];
  /** Past this the bench is killed and counted as failed (full size; --quick gets a quarter, at least 2 minutes). */
  timeoutMinutes: number;
}

/** In order: the store and API path first (with raw etcd beside them), then the controllers, then the node. */
const benches: Entry[] = [
  { name: "client-workqueue", timeoutMinutes: 5 },
  { name: "client-informer", timeoutMinutes: 10 },
  { name: "store", timeoutMinutes: 5 },
  { name: "apiserver", timeoutMinutes: 10 },
  { name: "etcd", timeoutMinutes: 10 },
  { name: "pvbinder-match", timeoutMinutes: 5 },
  { name: "pvbinder", args: ["--claims", "100000", "--volumes", "100000"], timeoutMinutes: 30 },
  { name: "provisioner", timeoutMinutes: 15 },
  { name: "scheduler", timeoutMinutes: 30 },
  { name: "attach", timeoutMinutes: 10 },
  { name: "node", timeoutMinutes: 10 },
  { name: "statefulset", timeoutMinutes: 10 },
  { name: "streaming", timeoutMinutes: 10 },
  { name: "failover", timeoutMinutes: 30 },
  { name: "snapshot", timeoutMinutes: 15 },
  { name: "backup", timeoutMinutes: 20 },
  { name: "csi", timeoutMinutes: 5 },
  { name: "ownership", timeoutMinutes: 5 },
];

function runOne(entry: Entry, quick: boolean): Promise<BenchResult> {
  const file = fileURLToPath(new URL(`./${entry.name}.ts`, import.meta.url));
  const args = quick ? ["--quick"] : (entry.args ?? []);
  const started = performance.now();
  // Its own process group, so a timeout kills what it spawned too (apiservers, etcd, drivers).
  const child = spawn(process.execPath, ["--import", "tsx", file, ...args], {
    stdio: ["ignore", "pipe", "inherit"],
    detached: true,
  });
  const figures: Figure[] = [];
  createInterface({ input: child.stdout }).on("line", (line) => {
    const figure = parseFigure(line);
    if (figure) {
      figures.push(figure);
      // As it comes, so a long run that is cut short still shows what it measured (the table only counts it if the
      // bench then passes its checks and exits 0).
      process.stderr.write(`${entry.name}: ${line}\n`);
    } else process.stderr.write(`${entry.name}: ${line}\n`);
  });
  const limitMs = (quick ? Math.max(2, entry.timeoutMinutes / 4) : entry.timeoutMinutes) * 60_000;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    process.kill(-(child.pid ?? 0), "SIGKILL");
  }, limitMs);
  return new Promise((resolve) => {
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      const seconds = (performance.now() - started) / 1000;
      const ok = code === 0 && !timedOut;
      const failure = timedOut ? `killed after ${limitMs / 60_000} min` : ok ? undefined : `exit ${code ?? signal}`;
      // A failed bench's figures (there should be none) are dropped: a figure only counts when its check passed.
      resolve({ name: entry.name, ok, seconds, figures: ok ? figures : [], ...(failure ? { failure } : {}) });
    });
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      only: { type: "string" },
      json: { type: "boolean", default: false },
    },
  });
  const only = values.only?.split(",").filter(Boolean);
  const unknown = only?.filter((name) => !benches.some((b) => b.name === name)) ?? [];
  if (unknown.length > 0) {
    process.stderr.write(`unknown bench ${unknown.join(", ")}: choose from ${benches.map((b) => b.name).join(", ")}\n`);
    process.exit(2);
  }
  const machine = { cpus: availableParallelism(), loadBefore: loadavg().map((l) => +l.toFixed(2)) };
  const results: BenchResult[] = [];
  for (const entry of benches) {
    if (only && !only.includes(entry.name)) continue;
    process.stderr.write(`bench ${entry.name}${values.quick ? " (quick)" : ""}…\n`);
    results.push(await runOne(entry, values.quick));
  }
  const loadAfter = loadavg().map((l) => +l.toFixed(2));
  if (values.json)
    process.stdout.write(
      JSON.stringify({ machine: { ...machine, loadAfter }, quick: values.quick, results }, null, 2) + "\n",
    );
  else {
    process.stdout.write(
      `${machine.cpus} cores; load average ${machine.loadBefore.join(" ")} before, ${loadAfter.join(" ")} after\n`,
    );
    process.stdout.write(formatTable(results) + "\n");
  }
  if (results.some((r) => !r.ok)) process.exitCode = 1;
}

await main();
