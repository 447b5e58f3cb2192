// The chaos test, short: eight kinds of fault once each (in an order drawn from the seed) against a three-member etcd,
// two apiservers, two controller-managers, two schedulers and three node machines, while waves of claims, pods and
// writes come and go; then every invariant and the StatefulSet's data. `npm run chaos -- --minutes 30` runs it
// long. Scaled down for the suite: 8 rounds, 4 claims, 2 pods and 4 writes per wave (the long run: a round after
// another for the minutes given, 40, 12 and 20); of the leaders, the controller-manager's is killed and the
// scheduler's frozen (the long run does both to both).
import assert from "node:assert/strict";
import { test } from "node:test";
import type { FaultKind } from "./injections.js";
import { describeReport, runChaos } from "./run.js";

const shortKinds: FaultKind[] = [
  "kill etcd leader",
  "kill apiserver",
  "kill controller-manager leader",
  "freeze scheduler leader",
  "cut machine network",
  "kill node agent",
  "kill csi sidecar",
  "kill node driver",
];
const seed = Number(process.env.STOWAGE_CHAOS_SEED ?? 16);

test(
  "a many-machine cluster loses nothing while its components are killed, frozen and cut off",
  { timeout: 600_000 },
  async (t) => {
    const report = await runChaos(t, {
      seed,
      rounds: shortKinds.length,
      kinds: shortKinds,
      size: { claims: 4, pods: 2, writes: 4 },
      machines: 3,
      convergeTimeoutMs: 90_000,
      log: (line) => t.diagnostic(line),
    });
    for (const line of describeReport(report)) t.diagnostic(line);
    assert.deepEqual(report.violations, []);
  },
);
