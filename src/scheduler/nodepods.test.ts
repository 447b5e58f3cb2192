// Pods and volumes per node, kept from pod events: right after adds, moves, resyncs, deletes and unknown deletes.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Pod } from "../api/core/types.js";
import { PodsByNode } from "./nodepods.js";

const pod = (name: string, nodeName: string | undefined, volumes: number): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: "default" },
  spec: {
    containers: [{ name: "c", image: "busybox" }],
    ...(nodeName ? { nodeName } : {}),
    volumes: Array.from({ length: volumes }, (_, i) => ({ name: `v${i}`, emptyDir: {} })),
  },
});

test("a pod counts on its node once it has one, and stops counting when it goes", () => {
  const nodes = new PodsByNode();
  nodes.set("default/a", pod("a", undefined, 2));
  assert.equal(nodes.podCount("n1"), 0);
  nodes.set("default/a", pod("a", "n1", 2)); // bound
  nodes.set("default/a", pod("a", "n1", 2)); // a resync or a status change
  nodes.set("default/b", pod("b", "n1", 1));
  assert.deepEqual([nodes.podCount("n1"), nodes.volumeCount("n1")], [2, 3]);
  nodes.delete("default/a");
  nodes.delete("default/a"); // a delete the cache never saw twice
  nodes.delete("default/never");
  assert.deepEqual([nodes.podCount("n1"), nodes.volumeCount("n1")], [1, 1]);
  nodes.delete("default/b");
  assert.deepEqual([nodes.podCount("n1"), nodes.volumeCount("n1")], [0, 0]);
});

test("a pod seen again with another node or other volumes moves its count", () => {
  const nodes = new PodsByNode();
  nodes.set("default/a", pod("a", "n1", 1));
  nodes.set("default/a", pod("a", "n2", 3)); // recreated under the same name elsewhere
  assert.deepEqual([nodes.podCount("n1"), nodes.volumeCount("n1")], [0, 0]);
  assert.deepEqual([nodes.podCount("n2"), nodes.volumeCount("n2")], [1, 3]);
  nodes.set("default/a", pod("a", undefined, 3));
  assert.equal(nodes.podCount("n2"), 0);
});
