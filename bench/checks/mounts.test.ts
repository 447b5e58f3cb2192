import assert from "node:assert/strict";
import test from "node:test";
import { checkMounted, checkNothingMounted } from "./mounts.js";

test("every published volume mounted passes", () => {
  checkMounted(["/n/pods/a/mount", "/n/pods/b/mount"], ["/", "/n/pods/a/mount", "/n/pods/b/mount"]);
  checkNothingMounted([]);
});

test("a volume reported published but not mounted is refused", () => {
  assert.throws(() => checkMounted(["/n/pods/a/mount", "/n/pods/b/mount"], ["/n/pods/a/mount"]), /\/n\/pods\/b\/mount/);
});

test("a mount left behind after teardown is refused", () => {
  assert.throws(() => checkNothingMounted(["/n/pods/a/mount"]), /1 mounts left behind/);
});
