import assert from "node:assert/strict";
import test from "node:test";
import { checkProvisioned } from "./provisioning.js";
import { boundPair } from "./testing/objects.js";

const driver = "hostpath.csi.k8s.io";

test("one driver volume per claim passes", () => {
  const a = boundPair("a", "1Mi", { handle: "v-a" });
  const b = boundPair("b", "1Mi", { handle: "v-b" });
  checkProvisioned([a.claim, b.claim], [a.volume, b.volume], driver, ["v-a", "v-b"]);
});

test("two PVs on one driver volume are refused", () => {
  const a = boundPair("a", "1Mi", { handle: "v-a" });
  const b = boundPair("b", "1Mi", { handle: "v-a" });
  assert.throws(
    () => checkProvisioned([a.claim, b.claim], [a.volume, b.volume], driver, ["v-a"]),
    /share the driver volume/,
  );
});

test("a driver volume no PV names (leaked) is refused", () => {
  const a = boundPair("a", "1Mi", { handle: "v-a" });
  assert.throws(() => checkProvisioned([a.claim], [a.volume], driver, ["v-a", "v-orphan"]), /leaked/);
});

test("a PV whose volume the driver does not hold is refused", () => {
  const a = boundPair("a", "1Mi", { handle: "v-a" });
  assert.throws(() => checkProvisioned([a.claim], [a.volume], driver, []), /not in the driver/);
});
