import assert from "node:assert/strict";
import test from "node:test";
import { formatTable } from "./table.js";

test("the table shows each figure with its goal, its peer from the same run and their ratio", () => {
  const text = formatTable([
    {
      name: "store",
      ok: true,
      seconds: 10,
      figures: [
        {
          figure: "store.creates_per_second_32_writers",
          value: 6000,
          unit: "creates/s",
          goal: { op: ">=", value: 5000 },
          peer: { name: "raw etcd puts/s", value: 4000 },
          load: 0.4,
        },
      ],
    },
  ]);
  assert.match(
    text,
    /store\.creates_per_second_32_writers\s+6000 creates\/s\s+>= 5000 met\s+4000 \(raw etcd puts\/s\)\s+1\.50x\s+0\.4/,
  );
});

test("a failed bench shows as FAILED with no figure, and a cited upstream figure is marked as not run here", () => {
  const text = formatTable([
    { name: "pvbinder", ok: false, seconds: 3, figures: [], failure: "exit 1" },
    {
      name: "scheduler",
      ok: true,
      seconds: 30,
      figures: [
        {
          figure: "scheduler.pods_per_second",
          value: 120,
          unit: "pods/s",
          goal: { op: ">=", value: 240 },
          cited: { value: 100, source: "scheduler_perf" },
          load: 1,
        },
      ],
    },
  ]);
  assert.match(text, /^pvbinder\s+FAILED, no figure\s+exit 1$/m);
  assert.match(text, />= 240 NOT MET/);
  assert.match(text, /upstream \(cited, not run here\)\s+100 pods\/s\s+1\.20x\s+scheduler_perf/);
});
