// `npm run chaos -- [--minutes 30] [--seed N]`: the chaos test long, with the full numbers (40 claims, 12 pods with
// claims and 20 writes per wave, a fault per wave, for the given minutes; about 1,000 claims and 300 pods in 30
// minutes on a 2-core machine), its report printed.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseArgs } from "node:util";
import { describeReport, runChaos } from "./run.js";

const { values } = parseArgs({
  options: { minutes: { type: "string", default: "30" }, seed: { type: "string" } },
});
const minutes = Number(values.minutes);
const seed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31);
if (!Number.isFinite(minutes) || minutes <= 0 || !Number.isInteger(seed)) {
  console.error("usage: npm run chaos -- [--minutes M] [--seed N]  (M > 0, N a whole number)");
  process.exit(2);
}

test(`chaos for ${minutes} minutes, seed ${seed}`, { timeout: (minutes + 15) * 60_000 }, async (t) => {
  const report = await runChaos(t, {
    seed,
    minutes,
    size: { claims: 40, pods: 12, writes: 20 },
    machines: 3,
    convergeTimeoutMs: 180_000,
    log: (line) => console.log(line),
  });
  for (const line of describeReport(report)) console.log(line);
  assert.deepEqual(report.violations, []);
});
