// Client figures over both transports against the real apiserver on a MemoryStore:
// create rate (16 concurrent writers), informer initial list+sync, and watch delivery of updates.
// Checked before any figure: the informer holds every object created, once, and every update it delivered carries
// the patched label, one per object patched.
//   node --import tsx bench/client-informer.ts [--objects 10000] [--quick]
// Prints figure lines (bench/lib/figure.ts), three per transport.
import { parseArgs } from "node:util";
import { createApiServer } from "../src/apiserver/server.js";
import { createClient } from "../src/client/client.js";
import { httpTransport } from "../src/client/http.js";
import { Informer } from "../src/client/informer.js";
import { inProcessTransport } from "../src/client/inprocess.js";
import type { Transport } from "../src/client/transport.js";
import { volume } from "../src/client/testing/objects.js";
import { MemoryStore } from "../src/store/memory.js";
import { CheckFailed, openBench } from "./lib/bench.js";

const { values: args } = parseArgs({
  options: { objects: { type: "string", default: "10000" }, quick: { type: "boolean", default: false } },
});
const count = args.quick ? 1_000 : Number(args.objects);
const bench = openBench();

async function pool<T>(items: T[], workers: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

async function run(kind: "in-process" | "http"): Promise<void> {
  const store = new MemoryStore();
  const server = await createApiServer({ store, log: () => {} });
  const listener = await server.listen("127.0.0.1:0");
  const transport: Transport =
    kind === "http" ? httpTransport({ server: listener.url }) : inProcessTransport(server.handler);
  const client = createClient(transport);
  const names = Array.from({ length: count }, (_, i) => `pv-${String(i).padStart(6, "0")}`);

  let start = performance.now();
  await pool(names, 16, (name) => client.persistentVolumes.create(volume(name, "1Gi")));
  const createMs = performance.now() - start;

  const informer = new Informer(client.persistentVolumes, { log: () => {} });
  const controller = new AbortController();
  start = performance.now();
  void informer.run(controller.signal);
  await informer.waitForSync();
  const syncMs = performance.now() - start;
  const cached = new Set<string>(informer.keys());
  if (cached.size !== count || names.some((name) => !cached.has(name))) {
    throw new CheckFailed(`${kind}: the informer holds ${cached.size} of ${count} objects after its sync`);
  }

  const updates = Math.min(count, 5_000);
  const touched = new Set<string>();
  let allSeen!: () => void;
  const delivered = new Promise<void>((resolve) => (allSeen = resolve));
  informer.onUpdate((old, pv) => {
    if (old === pv || pv.metadata.labels?.touched !== "yes") return;
    touched.add(pv.metadata.name ?? "");
    if (touched.size === updates) allSeen();
  });
  start = performance.now();
  await pool(names.slice(0, updates), 16, (name) =>
    client.persistentVolumes.patch(name, "merge", { metadata: { labels: { touched: "yes" } } }),
  );
  await delivered;
  const updateMs = performance.now() - start;

  controller.abort();
  await listener.close();
  await server.close();
  await store.close();
  if ("close" in transport) (transport as { close(): void }).close();
  if (names.slice(0, updates).some((name) => !touched.has(name))) {
    throw new CheckFailed(`${kind}: ${touched.size} of ${updates} patched objects delivered`);
  }
  const rssPeakMiB = Math.round(process.resourceUsage().maxRSS / 1024);
  const detail = { objects: count, updates, transport: kind };
  const prefix = `client-informer.${kind}`;
  bench.figure({ figure: `${prefix}.creates_per_second`, value: (count / createMs) * 1000, unit: "/s", detail });
  bench.figure({ figure: `${prefix}.informer_sync_ms`, value: syncMs, unit: "ms", rssPeakMiB, detail });
  const delivery = (updates / updateMs) * 1000;
  bench.figure({ figure: `${prefix}.patch_and_deliver_per_second`, value: delivery, unit: "/s", detail });
}

await run("in-process");
await run("http");
bench.finish();
