// Nodes by label, kept from node events; the generation moves only when labels (or the set of nodes) change.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Node } from "../api/core/types.js";
import { NodeLabelIndex } from "./nodelabels.js";

const node = (name: string, labels: Record<string, string>, unschedulable = false): Node => ({
  apiVersion: "v1",
  kind: "Node",
  metadata: { name, labels },
  spec: { unschedulable },
});

test("nodes are found by label after adds, relabels and deletes", () => {
  const index = new NodeLabelIndex();
  index.set(node("a", { zone: "z1" }));
  index.set(node("b", { zone: "z1" }));
  assert.deepEqual([...index.withLabel("zone", "z1")].sort(), ["a", "b"]);
  index.set(node("b", { zone: "z2" }));
  assert.deepEqual([...index.withLabel("zone", "z1")], ["a"]);
  assert.deepEqual([...index.withLabel("zone", "z2")], ["b"]);
  index.delete("a");
  index.delete("never-there");
  assert.deepEqual([...index.withLabel("zone", "z1")], []);
  assert.equal(index.has("a"), false);
  assert.equal(index.has("b"), true);
});

test("the generation moves on a new node, a label change and a delete, not on other changes", () => {
  const index = new NodeLabelIndex();
  const at = () => index.generation;
  let last = at();
  index.set(node("a", { zone: "z1" }));
  assert.notEqual(at(), last);
  last = at();
  index.set(node("a", { zone: "z1" }, true)); // cordoned: labels the same
  assert.equal(at(), last);
  index.set(node("a", { zone: "z1", rack: "r1" }));
  assert.notEqual(at(), last);
  last = at();
  index.delete("a");
  assert.notEqual(at(), last);
});
