import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import test from "node:test";
import { fileURLToPath } from "node:url";
import { parseFigure } from "./figure.js";

const fixture = fileURLToPath(new URL("./testing/fixture.ts", import.meta.url));
const run = (mode: string) => spawnSync(process.execPath, ["--import", "tsx", fixture, mode], { encoding: "utf8" });

test("a bench whose check passes prints its figure as one JSON line", () => {
  const result = run("ok");
  assert.equal(result.status, 0, result.stderr);
  const figure = parseFigure(result.stdout.trim());
  assert.equal(figure?.figure, "fixture.claims_per_second");
  assert.equal(figure?.value, 1235);
  assert.equal(typeof figure?.load, "number");
});

test("a bench fed a wrong result (two claims on one PV) exits 1 and prints no figure", () => {
  const result = run("wrong");
  assert.equal(result.status, 1);
  assert.equal(result.stdout, "");
  assert.match(result.stderr, /bench fixture wrong result, no figure: CheckFailed: .*both bound to PV pv-a/);
});

test("a bench that times out waiting exits 1 and prints no figure", () => {
  const result = run("timeout");
  assert.equal(result.status, 1);
  assert.equal(result.stdout, "");
  assert.match(result.stderr, /bench fixture timed out, no figure: BenchTimeout: claims Bound: not done after 0.05 s/);
});
