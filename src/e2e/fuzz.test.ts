// Fuzzing as a test (fast-check): generated requests at the API (at least 10,000), the kubelet port and a CSI
// driver's socket (at least 2,000 each), with a fixed seed so that a run is repeatable. Every request must get an
// answer (see fuzzapi.ts, fuzzkubelet.ts, fuzzcsi.ts for what each must be) and the process — this one, where
// all three servers run — stays up. A failure prints fast-check's seed and path; add them to `regressions` below
// so that they run every time. Longer runs: `npm run fuzz -- --runs N [--seed S]` (fuzzmain.ts).
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { checkApiAnswer, fuzzRequests, startApiFuzzWorld } from "./fuzzapi.js";
import { checkCsiAnswer, csiCalls, csiFuzzClient } from "./fuzzcsi.js";
import { checkKubeletAnswer, kubeletRequests, startKubeletFuzzWorld } from "./fuzzkubelet.js";
import { startHostpath } from "../csi/drivers/hostpath/testing/driver.js";

const apiRuns = Number(process.env.STOWAGE_FUZZ_RUNS ?? 10_000);
const otherRuns = Math.max(2_000, Math.floor(apiRuns / 5));
const seed = Number(process.env.STOWAGE_FUZZ_SEED ?? 14);

/** Seeds and paths fast-check printed for failures once found, replayed on every run (none so far). */
const regressions: Array<{ property: "api" | "kubelet" | "csi"; seed: number; path: string }> = [];

function replays(property: string): Array<{ seed: number; path: string }> {
  return regressions.filter((r) => r.property === property);
}

async function run<T>(name: string, arbitrary: fc.Arbitrary<T>, check: (value: T) => Promise<void>, runs: number) {
  let tried = 0;
  const property = fc.asyncProperty(arbitrary, async (value) => {
    tried++;
    await check(value);
  });
  for (const replay of replays(name)) await fc.assert(property, { seed: replay.seed, path: replay.path });
  await fc.assert(property, { seed, numRuns: runs, endOnFailure: true });
  console.log(`fuzz ${name}: ${tried} inputs tried (seed ${seed}), 0 failures`);
  return tried;
}

test(`the API answers ${apiRuns} generated requests, each well-formed, refusals changing nothing`, async (t) => {
  const world = await startApiFuzzWorld();
  t.after(() => world.close());
  const tried = await run("api", fuzzRequests, (req) => checkApiAnswer(world, req), apiRuns);
  assert.ok(tried >= apiRuns);
  assert.equal((await world.send({ method: "GET", path: "/readyz", headers: {} })).status, 200);
});

test(`the kubelet port answers ${otherRuns} generated requests`, async (t) => {
  const world = await startKubeletFuzzWorld();
  t.after(() => world.close());
  const tried = await run("kubelet", kubeletRequests, (req) => checkKubeletAnswer(world, req), otherRuns);
  assert.ok(tried >= otherRuns);
  assert.equal(await world.send({ method: "GET", path: "/containerLogs/default/web/app?tailLines=1" }), 200);
});

test(`a CSI driver answers ${otherRuns} generated calls with a gRPC status, and still probes ready`, async (t) => {
  const driver = await startHostpath(t);
  const client = csiFuzzClient(driver.endpoint.slice("unix://".length));
  t.after(() => client.close());
  const tried = await run("csi", csiCalls, (call) => checkCsiAnswer(client, call), otherRuns);
  assert.ok(tried >= otherRuns);
  assert.equal(await client.call("/csi.v1.Identity/Probe", Buffer.alloc(0)), 0);
});
