// Test wiring only: an informer factory on a (test) client, started and synced, stopped when the test ends. What a
// test needs to call a loop's sync(key) directly on the caches a started loop would read.
import type { TestContext } from "node:test";
import type { Client } from "../client.js";
import type { InformerFactory } from "../factory.js";
import { createInformerFactory } from "../factory.js";

/**
 * Makes a factory, lets `use` make the informers (and indexes) the sync reads, starts them and waits for their
 * first list: the caches then hold what the test created beforehand.
 */
export async function syncedInformers(
  t: TestContext,
  client: Client,
  use: (informers: InformerFactory, signal: AbortSignal) => unknown,
): Promise<InformerFactory> {
  const informers = createInformerFactory(client, { log: () => undefined });
  const abort = new AbortController();
  t.after(() => abort.abort());
  use(informers, abort.signal);
  informers.start(abort.signal);
  await informers.waitForSync(abort.signal);
  return informers;
}
