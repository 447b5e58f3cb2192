// Client figures over both transports against the real apiserver on a MemoryStore:
// create rate (16 concurrent writers), informer initial list+sync, and watch delivery of updates.
// Prints one JSON line per transport. Run: node --import tsx bench/client-informer.ts [objects]
import { createApiServer } from "../src/apiserver/server.js";
import { createClient } from "../src/client/client.js";
import { httpTransport } from "../src/client/http.js";
import { Informer } from "../src/client/informer.js";
import { inProcessTransport } from "../src/client/inprocess.js";
import type { Transport } from "../src/client/transport.js";
import { volume } from "../src/client/testing/objects.js";
import { MemoryStore } from "../src/store/memory.js";

const count = Number(process.argv[2] ?? 10_000);

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

  const updates = Math.min(count, 5_000);
  let seen = 0;
  let allSeen!: () => void;
  const delivered = new Promise<void>((resolve) => (allSeen = resolve));
  informer.onUpdate((old, pv) => {
    if (old !== pv && ++seen === updates) allSeen();
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
  const rss = Math.round(process.memoryUsage().rss / 2 ** 20);
  console.log(
    JSON.stringify({
      bench: "client-informer",
      transport: kind,
      objects: count,
      createPerSecond: Math.round((count / createMs) * 1000),
      informerSyncMs: Math.round(syncMs),
      patchAndDeliverPerSecond: Math.round((updates / updateMs) * 1000),
      rssMiB: rss,
    }),
  );
}

await run("in-process");
await run("http");
