// upstream's duration.HumanDuration / ShortHumanDuration cases (apimachinery/pkg/util/duration/duration_test.go).
import assert from "node:assert/strict";
import test from "node:test";
import { accessModesAsString, humanDuration, shortHumanDuration, translateTimestampSince } from "./table.js";

const s = 1000;
const m = 60 * s;
const h = 60 * m;
const d = 24 * h;
const y = 365 * d;

const human: [number, string][] = [
  [-2 * s, "<invalid>"],
  [-1.5 * s, "0s"],
  [0, "0s"],
  [1 * s, "1s"],
  [70 * s, "70s"],
  [119 * s, "119s"],
  [2 * m, "2m"],
  [3 * m + 2 * s, "3m2s"],
  [9 * m + 59 * s, "9m59s"],
  [10 * m, "10m"],
  [179 * m, "179m"],
  [3 * h, "3h"],
  [4 * h + 30 * m, "4h30m"],
  [8 * h, "8h"],
  [47 * h + 59 * m, "47h"],
  [48 * h, "2d"],
  [3 * d + 4 * h, "3d4h"],
  [8 * d, "8d"],
  [729 * d, "729d"],
  [2 * y, "2y"],
  [2 * y + 30 * d, "2y30d"],
  [8 * y, "8y"],
];
for (const [ms, want] of human) test(`HumanDuration(${ms}ms) is ${want}`, () => assert.equal(humanDuration(ms), want));

const short: [number, string][] = [
  [-2 * s, "<invalid>"],
  [-1 * s, "0s"],
  [59 * s, "59s"],
  [5 * m, "5m"],
  [5 * h, "5h"],
  [3 * d, "3d"],
  [400 * d, "1y"],
];
for (const [ms, want] of short)
  test(`ShortHumanDuration(${ms}ms) is ${want}`, () => assert.equal(shortHumanDuration(ms), want));

test("a missing timestamp prints <unknown>", () =>
  assert.equal(translateTimestampSince(undefined, new Date()), "<unknown>"));

test("access modes print in upstream's fixed order", () => {
  assert.equal(
    accessModesAsString(["ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod", "ReadOnlyMany"]),
    "RWO,ROX,RWX,RWOP",
  );
  assert.equal(accessModesAsString([]), "");
});
