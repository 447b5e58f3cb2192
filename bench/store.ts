// Store benchmark (not a test): the figures behind the apiserver's targets, measured on the store alone.
//   node --import tsx bench/store.ts [--seconds 5] [--backend sqlite|memory] [--synchronous full|normal]
//                                    [--writer worker|inline] [--only creates|lists|watch]
// Checks every create landed and every watcher got every write, then prints bench/lib/figure.ts's JSON lines, each
// create and list figure beside raw etcd (one member, same client shape, same run).

import { mkdtemp, rm } from "node:fs/promises";
import os, { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { MemoryStore } from "../src/store/memory.js";
import { SqliteStore } from "../src/store/sqlite.js";
import { WatchTooSlowError } from "../src/store/store.js";
import type { Store } from "../src/store/store.js";
import { CheckFailed, openBench } from "./lib/bench.js";
import { startRawEtcd, type RawEtcd } from "./lib/rawetcd.js";
import { pollUntil } from "./lib/wait.js";

const { values: args } = parseArgs({
  options: {
    seconds: { type: "string" },
    quick: { type: "boolean", default: false },
    backend: { type: "string", default: "sqlite" },
    synchronous: { type: "string", default: "full" },
    writer: { type: "string", default: "worker" },
    only: { type: "string" },
  },
});
const seconds = Number(args.seconds ?? (args.quick ? 1 : 5));
if (!(seconds > 0)) throw new Error(`--seconds must be a positive number, not ${args.seconds}`);
if (args.backend !== "sqlite" && args.backend !== "memory") throw new Error("--backend must be sqlite or memory");
if (args.synchronous !== "full" && args.synchronous !== "normal")
  throw new Error("--synchronous must be full or normal");
const synchronous = args.synchronous;
if (args.writer !== "worker" && args.writer !== "inline") throw new Error("--writer must be worker or inline");
const writer = args.writer;

const dir = await mkdtemp(join(tmpdir(), "stowage-bench-store-"));
let opened = 0;
function open(): Store {
  if (args.backend === "memory") return new MemoryStore();
  return SqliteStore.open(join(dir, `bench-${opened++}.db`), { synchronous, writer });
}

const value = new Uint8Array(1024).fill(0x61); // 1 KiB
const now = () => performance.now();
const bench = openBench();
const config = { backend: args.backend, synchronous, writer };
/** The peer: raw etcd, one member on this machine, from the same shape of client. */
let raw: RawEtcd | undefined;

function percentiles(samples: number[]): { p50: number; p99: number; max: number; mean: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const round = (n: number) => Math.round(n * 1000) / 1000;
  const mean = sorted.reduce((sum, x) => sum + x, 0) / sorted.length;
  return { p50: round(at(0.5)), p99: round(at(0.99)), max: round(sorted[sorted.length - 1]), mean: round(mean) };
}

/** Sustained creates of 1 KiB values by `writers` concurrent writers for `seconds`. */
async function creates(writers: number): Promise<void> {
  const store = open();
  let done = 0;
  const latencies: number[] = [];
  const deadline = now() + seconds * 1000;
  const started = now();
  const cpuBefore = process.cpuUsage();
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      for (let i = 0; now() < deadline; i++) {
        const t0 = now();
        await store.create(`/registry/persistentvolumes/w${w}-${i}`, value);
        latencies.push(now() - t0);
        done++;
      }
    }),
  );
  const elapsed = (now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore); // all threads (writer worker included), so it holds under CPU contention
  const stats = store instanceof SqliteStore ? store.stats : undefined;
  const stored = (await store.list("/registry/persistentvolumes/")).items.length;
  if (stored !== done) throw new CheckFailed(`${done} creates acknowledged, ${stored} keys in the store`);
  await store.close();
  const load = os.loadavg()[0];
  raw ??= await startRawEtcd();
  const rawPerSecond = await raw.putsPerSecond(writers, Math.min(done, 20_000), Buffer.from(value));
  bench.figure({
    figure: `store.creates_per_second_${writers}_writers`,
    value: done / elapsed,
    unit: "creates/s",
    peer: { name: `raw etcd puts/s, ${writers} writers`, value: rawPerSecond },
    load,
    detail: {
      ...config,
      valueBytes: value.length,
      creates: done,
      writesPerCommit: stats ? Math.round((stats.writes / stats.commits) * 10) / 10 : undefined,
      cpuMicrosPerCreate: Math.round(((cpu.user + cpu.system) / done) * 10) / 10,
      latencyMs: percentiles(latencies),
    },
  });
}

/** Latency of listing 10,000 keys of 1 KiB (whole list, as of an older revision, and in pages of 500). */
async function lists(): Promise<void> {
  const store = open();
  const writes: Promise<unknown>[] = [];
  for (let i = 0; i < 10_000; i++) writes.push(store.create(`/registry/persistentvolumes/pv-${i}`, value));
  await store.create("/registry/persistentvolumeclaims/default/other", value);
  await Promise.all(writes);
  const older = await store.currentRevision();
  for (let i = 0; i < 100; i++) await store.create(`/registry/persistentvolumes/later-${i}`, value);

  const measure = async (name: string, run: () => Promise<number>) => {
    const samples: number[] = [];
    let items = 0;
    for (let i = 0; i < 23; i++) {
      const t0 = now();
      items = await run();
      if (i >= 3) samples.push(now() - t0); // the first runs warm caches and the JIT
    }
    // The current list also holds the 100 keys written after the older revision.
    const expected = name === "list_10000" || name === "count_10000" ? 10_100 : 10_000;
    if (items !== expected) throw new CheckFailed(`${name} returned ${items} items, not ${expected}`);
    const latency = percentiles(samples);
    const load = os.loadavg()[0];
    raw ??= await startRawEtcd();
    const peer =
      name === "list_10000"
        ? {
            name: "raw etcd range of 10,000 1 KiB keys (ms)",
            value: await raw.rangeMs("/bench/list/", 10_000, Buffer.from(value)),
          }
        : undefined;
    bench.figure({
      figure: `store.${name}_ms`,
      value: latency.p50,
      unit: "ms (p50)",
      ...(peer ? { peer } : {}),
      load,
      detail: { ...config, latency },
    });
  };
  await measure("list_10000", async () => (await store.list("/registry/persistentvolumes/")).items.length);
  await measure(
    "list_10000_at_older_revision",
    async () => (await store.list("/registry/persistentvolumes/", { at: older })).items.length,
  );
  await measure("list_10000_in_pages_of_500", async () => {
    let after: string | undefined;
    let items = 0;
    while (true) {
      const page = await store.list("/registry/persistentvolumes/", { limit: 500, after, at: older });
      items += page.items.length;
      if (!page.more) return items;
      after = page.items[page.items.length - 1].key;
    }
  });
  await measure("count_10000", async () => store.count("/registry/persistentvolumes/"));
  await store.close();
}

/**
 * Delivery latency from the start of a write (so commit included) to its arrival at each of 100 watchers:
 * paced writes (1 or 20 every 10 ms), and 32 flat-out writers saturating the process.
 */
async function watchFanOut(watchers: number, loadWriters: number, perTick = 1): Promise<void> {
  const store = open();
  const controller = new AbortController();
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const from = await store.currentRevision();
  let received = 0;
  let endedTooSlow = 0;
  const consumers = Array.from({ length: watchers }, async () => {
    try {
      for await (const event of store.watch("/registry/persistentvolumes/", from, controller.signal)) {
        if (event.type === "progress") continue;
        const t0 = sentAt.get(event.kv.key);
        if (t0 !== undefined) latencies.push(now() - t0);
        received++;
      }
    } catch (err) {
      if (!(err instanceof WatchTooSlowError)) throw err;
      endedTooSlow++; // the memory backend commits synchronously, so flat-out writers can outrun watchers
    }
  });
  let written = 0;
  const deadline = now() + seconds * 1000;
  if (loadWriters === 0) {
    // `perTick` writes at once every 10 ms: 1 → ~100 events/s, 20 → ~2,000 events/s (200,000 deliveries/s).
    while (now() < deadline) {
      await Promise.all(
        Array.from({ length: perTick }, () => {
          const key = `/registry/persistentvolumes/paced-${written++}`;
          sentAt.set(key, now());
          return store.create(key, value);
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  } else {
    await Promise.all(
      Array.from({ length: loadWriters }, async (_, w) => {
        for (let i = 0; now() < deadline; i++) {
          const key = `/registry/persistentvolumes/w${w}-${i}`;
          sentAt.set(key, now());
          await store.create(key, value);
          written++;
        }
      }),
    );
  }
  const expected = written * watchers;
  await pollUntil(
    60_000,
    "every watcher got every write",
    async () => received >= expected - endedTooSlow * written,
    5,
  );
  controller.abort();
  await Promise.all(consumers);
  if (endedTooSlow === 0 && received !== expected)
    throw new CheckFailed(`watchers got ${received} events of ${expected} (${written} writes × ${watchers} watchers)`);
  const latency = percentiles(latencies);
  bench.figure({
    figure: `store.${loadWriters === 0 ? `watch_fanout_paced_${perTick}_per_10ms` : "watch_fanout_under_load"}_ms`,
    value: latency.p99,
    unit: "ms (p99)",
    detail: { ...config, watchers, writers: loadWriters, events: written, deliveries: received, endedTooSlow, latency },
  });
  await store.close();
}

const figures: Record<string, () => Promise<void>> = {
  creates: async () => {
    await creates(32);
    await creates(1);
  },
  lists,
  watch: async () => {
    await watchFanOut(100, 0, 1);
    await watchFanOut(100, 0, 20);
    await watchFanOut(100, 32);
  },
};
try {
  for (const [name, run] of Object.entries(figures)) if (!args.only || args.only === name) await run();
} finally {
  await raw?.stop();
  await rm(dir, { recursive: true, force: true });
}
bench.finish();
