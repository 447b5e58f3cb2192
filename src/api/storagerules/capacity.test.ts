// Capacity of a volume, request and status capacity of a claim, as Quantities; an absent or bad text is zero,
// as upstream's lookup of a missing quantity in a ResourceList.
import assert from "node:assert/strict";
import test from "node:test";
import { Quantity } from "../quantity.js";
import { claimCapacity, claimRequest, volumeCapacity } from "./capacity.js";
import { claim, volume } from "./testing/fixtures.js";

const cases = [
  { name: "5Gi is 5 × 2^30 bytes", text: "5Gi", bytes: 5n * 2n ** 30n },
  { name: "5G is 5 × 10^9 bytes", text: "5G", bytes: 5_000_000_000n },
  { name: "a plain number is bytes", text: "1048576", bytes: 1_048_576n },
  { name: "absent is zero", text: undefined, bytes: 0n },
  { name: "text that is not a quantity is zero", text: "lots", bytes: 0n },
];
for (const c of cases) {
  test(`a volume's capacity: ${c.name}`, () => assert.equal(volumeCapacity(volume("v", c.text)).value, c.bytes));
  test(`a claim's request: ${c.name}`, () => assert.equal(claimRequest(claim("c", c.text)).value, c.bytes));
}

test("a claim's status capacity is what its volume gave it, zero while unbound", () => {
  assert.equal(claimCapacity(claim("c", "1Gi", { capacity: "2Gi" })).value, 2n * 2n ** 30n);
  assert.ok(claimCapacity(claim("c", "1Gi")).isZero());
});

test("capacities compare as quantities, not text: 1Gi equals 1024Mi and exceeds 1G", () => {
  const gi = volumeCapacity(volume("a", "1Gi"));
  assert.equal(gi.cmp(volumeCapacity(volume("b", "1024Mi"))), 0);
  assert.equal(gi.cmp(Quantity.parse("1G")), 1);
});

test("a volume object changed in place reports its new capacity", () => {
  const subject = volume("v", "1Gi");
  assert.equal(volumeCapacity(subject).toString(), "1Gi");
  subject.spec.capacity = { storage: "2Gi" };
  assert.equal(volumeCapacity(subject).toString(), "2Gi");
});
