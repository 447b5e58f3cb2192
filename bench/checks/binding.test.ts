import assert from "node:assert/strict";
import test from "node:test";
import { CheckFailed } from "../lib/bench.js";
import { checkBindings } from "./binding.js";
import { boundPair, claim, volume } from "./testing/objects.js";

test("claims each Bound to their own smallest-fitting PV pass", () => {
  const a = boundPair("a", "1Gi");
  const b = boundPair("b", "5Gi");
  const free = volume("spare", "10Gi");
  assert.equal(checkBindings([a.claim, b.claim], [a.volume, b.volume, free], { smallestFit: true }), 2);
});

test("two claims bound to one PV are refused", () => {
  const a = boundPair("a", "1Gi");
  const b = claim("b", "1Gi", { volumeName: "pv-a" });
  assert.throws(() => checkBindings([a.claim, b], [a.volume], { smallestFit: false }), /both bound to PV pv-a/);
});

test("a claim still Pending is refused", () => {
  const a = boundPair("a", "1Gi");
  const pending = claim("b", "1Gi");
  assert.throws(
    () => checkBindings([a.claim, pending], [a.volume, volume("x", "1Gi")], { smallestFit: false }),
    CheckFailed,
  );
});

test("a claim whose PV is not bound back to it is refused", () => {
  const a = boundPair("a", "1Gi");
  const stranger = {
    ...a.volume,
    spec: { ...a.volume.spec, claimRef: { namespace: "default", name: "other", uid: "x" } },
  };
  assert.throws(() => checkBindings([a.claim], [stranger], { smallestFit: false }), /not bound back/);
});

test("a PV smaller than the claim's request is refused", () => {
  const c = claim("a", "5Gi", { volumeName: "pv-a" });
  assert.throws(
    () => checkBindings([c], [volume("pv-a", "1Gi", { claim: c })], { smallestFit: false }),
    /does not fit/,
  );
});

test("a PV of another class is refused", () => {
  const c = claim("a", "1Gi", { volumeName: "pv-a", className: "gold" });
  assert.throws(
    () => checkBindings([c], [volume("pv-a", "1Gi", { claim: c })], { smallestFit: false }),
    /does not fit/,
  );
});

test("a claim given a big PV while a smaller fitting one stayed free is refused", () => {
  const c = claim("a", "1Gi", { volumeName: "pv-big" });
  const volumes = [volume("pv-big", "10Gi", { claim: c }), volume("pv-small", "1Gi")];
  assert.throws(() => checkBindings([c], volumes, { smallestFit: true }), /pv-small was left free/);
  // A smaller free volume that does not fit (other class) is no reason to refuse.
  const other = [volume("pv-big", "10Gi", { claim: c }), volume("pv-small", "1Gi", { className: "gold" })];
  assert.equal(checkBindings([c], other, { smallestFit: true }), 1);
});
