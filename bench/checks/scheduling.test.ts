import assert from "node:assert/strict";
import test from "node:test";
import { checkScheduled } from "./scheduling.js";
import { boundPair, claim, node, pod } from "./testing/objects.js";

test("pods on the node their PVs' affinity names, claims Bound, pass", () => {
  const a = boundPair("a", "1Gi", { node: "node-1" });
  const b = boundPair("b", "1Gi", { node: "node-2" });
  checkScheduled(
    [pod("p-a", "a", "node-1"), pod("p-b", "b", "node-2")],
    [a.claim, b.claim],
    [a.volume, b.volume],
    [node("node-1"), node("node-2")],
  );
});

test("a pod on a node its PV's node affinity excludes is refused", () => {
  const a = boundPair("a", "1Gi", { node: "node-1" });
  assert.throws(
    () => checkScheduled([pod("p-a", "a", "node-2")], [a.claim], [a.volume], [node("node-1"), node("node-2")]),
    /node-2, which PV pv-a's node affinity excludes/,
  );
});

test("a scheduled pod whose claim is not Bound is refused", () => {
  assert.throws(
    () => checkScheduled([pod("p-a", "a", "node-1")], [claim("a", "1Gi")], [], [node("node-1")]),
    /not Bound/,
  );
});

test("a pod with no node is refused", () => {
  const a = boundPair("a", "1Gi");
  assert.throws(() => checkScheduled([pod("p-a", "a", "")], [a.claim], [a.volume], [node("node-1")]), /does not exist/);
});
