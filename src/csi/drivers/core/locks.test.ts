import assert from "node:assert/strict";
import { test } from "node:test";
import { Code, CsiError } from "../../errors.js";
import { OperationLocks } from "./locks.js";

test("a second operation on a busy volume is refused with ABORTED, and runs once the first is done", async () => {
  const locks = new OperationLocks();
  let release!: () => void;
  const first = locks.run(["vol-1"], () => new Promise<string>((resolve) => (release = () => resolve("first"))));
  await assert.rejects(
    locks.run(["vol-1", "snap-1"], async () => "second"),
    (err: unknown) => {
      assert.ok(err instanceof CsiError);
      assert.equal(err.code, Code.ABORTED);
      assert.match(err.message, /an operation for vol-1 is already in progress/);
      return true;
    },
  );
  assert.equal(await locks.run(["vol-2"], async () => "other volume"), "other volume");
  release();
  assert.equal(await first, "first");
  assert.equal(await locks.run(["vol-1", "snap-1"], async () => "second"), "second");
});

test("a failed operation releases its volume", async () => {
  const locks = new OperationLocks();
  await assert.rejects(
    locks.run(["vol-1"], async () => Promise.reject(new Error("disk full"))),
    /disk full/,
  );
  assert.equal(await locks.run(["vol-1"], async () => "ok"), "ok");
});
