// Helpers for the store suites: bytes in and out, collecting watch events, asserting error classes.

import assert from "node:assert/strict";
import type { TestContext } from "node:test";
import type { KeyValue, Revision, Store, WatchEvent } from "../store.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
export const bytes = (text: string): Uint8Array => encoder.encode(text);
export const text = (value: Uint8Array): string => decoder.decode(value);

/** Opens a store for one test and closes it when the test ends. */
export async function openFor(t: TestContext, open: () => Promise<Store> | Store): Promise<Store> {
  const store = await open();
  t.after(() => store.close());
  return store;
}

/** Takes the first `count` events of a watch, then stops it. */
export async function takeEvents(
  store: Store,
  prefix: string,
  from: Revision,
  count: number,
  whileWatching?: () => Promise<unknown>,
): Promise<WatchEvent[]> {
  const controller = new AbortController();
  const events: WatchEvent[] = [];
  const watching = (async () => {
    if (count === 0) return;
    for await (const event of store.watch(prefix, from, controller.signal)) {
      if (event.type === "progress") continue;
      events.push(event);
      if (events.length === count) break;
    }
  })();
  try {
    await whileWatching?.();
    await watching;
  } finally {
    controller.abort();
  }
  return events;
}

export const summary = (event: WatchEvent) =>
  `${event.type} ${event.kv.key}=${text(event.kv.value)}@${event.kv.modRevision}`;
export const keysOf = (items: KeyValue[]) => items.map((kv) => kv.key);

export async function rejectsWith<T extends Error>(
  promise: Promise<unknown>,
  type: new (...args: never[]) => T,
): Promise<T> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof type, `expected ${type.name}, got ${String(err)}`);
    return err;
  }
  assert.fail(`expected ${type.name}, but it succeeded`);
}
