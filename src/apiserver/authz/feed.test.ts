import assert from "node:assert/strict";
import { test } from "node:test";
import type { KubeObject } from "../../api/meta.js";
import { MemoryStore } from "../../store/memory.js";
import type { ListOptions, ListResult } from "../../store/store.js";
import { feedFromStore } from "./feed.js";

const encode = (name: string) =>
  new TextEncoder().encode(JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name } }));

test("a write right after the feed's list, before its watch starts, still reaches the authorization cache", async (t) => {
  const store = new MemoryStore();
  t.after(() => store.close());
  await store.create("/registry/rolebindings/ns/first", encode("first"));
  // the list returns, then another apiserver writes before this one's watch is open: the next revision
  const list = store.list.bind(store);
  let raced = false;
  store.list = async (prefix: string, opts?: ListOptions): Promise<ListResult> => {
    const page = await list(prefix, opts);
    if (!raced) {
      raced = true;
      await store.create("/registry/rolebindings/ns/second", encode("second"));
    }
    return page;
  };
  const seen: string[] = [];
  const controller = new AbortController();
  t.after(() => controller.abort());
  const apply = (object: KubeObject) => seen.push(object.metadata.name ?? "");
  await feedFromStore(store, "/registry/rolebindings/", apply, controller.signal, () => undefined);
  const deadline = Date.now() + 5000;
  while (!seen.includes("second") && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
  assert.deepEqual(seen, ["first", "second"]);
});
