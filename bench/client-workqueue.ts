// Work queue throughput (not a test): keys added (with duplicates) and processed by N workers with an empty sync.
// Checked before any figure: every key processed exactly once (duplicates of a waiting key are merged, as client-go's
// queue merges them), and nothing processed that was never added.
//   node --import tsx bench/client-workqueue.ts [--quick]
// Prints one figure line per shape (bench/lib/figure.ts).
import { parseArgs } from "node:util";
import { WorkQueue } from "../src/client/workqueue.js";
import { CheckFailed, openBench } from "./lib/bench.js";

const { values: args } = parseArgs({ options: { quick: { type: "boolean", default: false } } });
const bench = openBench();
const scale = args.quick ? 10 : 1;

async function run(keys: number, addsPerKey: number, workers: number): Promise<void> {
  const queue = new WorkQueue<string>({ name: "bench" });
  const controller = new AbortController();
  const times = new Map<string, number>();
  const start = performance.now();
  const working = queue.work(
    controller.signal,
    (key) => {
      times.set(key, (times.get(key) ?? 0) + 1);
      if (times.size === keys) controller.abort();
    },
    workers,
  );
  // Every add is made before any worker runs (the loop below does not yield), so a key runs exactly once.
  for (let round = 0; round < addsPerKey; round++) for (let i = 0; i < keys; i++) queue.add(`ns/claim-${i}`);
  await working;
  const ms = performance.now() - start;
  const twice = [...times].filter(([, n]) => n !== 1).length;
  const unknown = [...times.keys()].filter((key) => !/^ns\/claim-\d+$/.test(key) || Number(key.slice(9)) >= keys);
  if (times.size !== keys || twice > 0 || unknown.length > 0) {
    throw new CheckFailed(
      `${times.size} of ${keys} keys processed, ${twice} more than once, ${unknown.length} unknown`,
    );
  }
  bench.figure({
    figure: `client-workqueue.keys_per_second_${workers}_workers_${addsPerKey}_adds`,
    value: (keys / ms) * 1000,
    unit: "keys/s",
    detail: { keys, adds: keys * addsPerKey, workers, ms: Math.round(ms) },
  });
}

await run(100_000 / scale, 1, 1);
await run(100_000 / scale, 5, 4);
await run(1_000_000 / scale, 1, 16);
bench.finish();
