// Work queue throughput: keys added (with duplicates) and processed by N workers with an empty sync.
// Prints JSON lines: { bench, keys, adds, workers, ms, keysPerSecond }.
import { WorkQueue } from "../src/client/workqueue.js";

async function run(keys: number, addsPerKey: number, workers: number): Promise<void> {
  const queue = new WorkQueue<string>({ name: "bench" });
  const controller = new AbortController();
  let processed = 0;
  const start = performance.now();
  const working = queue.work(
    controller.signal,
    () => {
      processed++;
      if (processed === keys) controller.abort();
    },
    workers,
  );
  for (let round = 0; round < addsPerKey; round++) for (let i = 0; i < keys; i++) queue.add(`ns/claim-${i}`);
  await working;
  const ms = performance.now() - start;
  console.log(
    JSON.stringify({
      bench: "workqueue",
      keys,
      adds: keys * addsPerKey,
      workers,
      ms: Math.round(ms),
      keysPerSecond: Math.round((keys / ms) * 1000),
    }),
  );
}

await run(100_000, 1, 1);
await run(100_000, 5, 4);
await run(1_000_000, 1, 16);
