import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import test from "node:test";
import { checkRestores, digestOf } from "./restore.js";

test("restores byte-identical to their sources pass", () => {
  const bytes = randomBytes(4096);
  checkRestores([{ name: "restore-0", want: digestOf(bytes), got: Buffer.from(bytes) }]);
});

test("a restore with one byte changed is refused", () => {
  const bytes = randomBytes(4096);
  const changed = Buffer.from(bytes);
  changed[1234] ^= 1;
  assert.throws(
    () =>
      checkRestores([
        { name: "restore-0", want: digestOf(bytes), got: Buffer.from(bytes) },
        { name: "restore-1", want: digestOf(bytes), got: changed },
      ]),
    /restore restore-1 differs/,
  );
});
