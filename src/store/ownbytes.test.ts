import { test } from "node:test";
import assert from "node:assert/strict";
import { ownBytes } from "./ownbytes.js";

test("a stored value gets its own bytes: no shared pool slab, no view of the caller's buffer", () => {
  const caller = Buffer.from('{"kind":"PersistentVolume"}');
  const stored = ownBytes(caller);
  assert.deepEqual(stored, caller);
  assert.equal(stored.buffer.byteLength, caller.byteLength, "an ArrayBuffer exactly the value's size");
  caller[2] = 0x4b;
  assert.equal(stored.toString(), '{"kind":"PersistentVolume"}', "changing the caller's bytes leaves the stored ones");
});
