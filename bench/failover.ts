// Failover benchmark (not a test; issue 17): how long a dead machine costs a StatefulSet pod with a ReadWriteOnce
// block-movable claim. Three machines (src/e2e/failoverworld.ts: separate `stowage node --runtime process` and
// `stowage csi block` processes, the controller-manager with its default --node-fence-grace 15 s, agents with
// --fence-after 10 s). Each trial SIGKILLs the machine running seq-0 (agent, driver, containers) and times kill →
// the replacement pod Running on another machine with its volume and its first line written after the old data
// (checked: every line numbered in order, none from the old machine after the new one's first). The killed
// machine then boots again on its root dir, cleans up what it had, and rejoins before the next trial.
//   node --import tsx bench/failover.ts [--trials 10] [--quick]
// Each trial on stderr; figures (bench/lib/figure.ts) once every trial passed its check: p50 and max seconds (goal
// p50 ≤ 15 s, max ≤ 30 s; upstream without fencing: 6–11 minutes). Needs root (loop devices, mounts, containers).
import { loadavg } from "node:os";
import type { TestContext } from "node:test";
import { parseArgs } from "node:util";
import {
  assertHandedOver,
  runningElsewhere,
  sequenceLines,
  sequenceStatefulSet,
  startFailoverWorld,
} from "../src/e2e/failoverworld.js";
import { eventually } from "../src/e2e/stowage.js";
import { openBench } from "./lib/bench.js";

const { values: args } = parseArgs({
  options: { trials: { type: "string", default: "10" }, quick: { type: "boolean", default: false } },
});
const trials = args.quick ? 2 : Number(args.trials);
const bench = openBench();

// The world is made for tests: its cleanups are registered with t.after, run here in reverse order at the end.
const cleanups: Array<() => unknown> = [];
const context = { after: (fn: () => unknown) => void cleanups.push(fn) } as unknown as TestContext;

const results: number[] = [];
try {
  const world = await startFailoverWorld(context);
  const applied = await world.stowage.kubectlResult(["apply", "-f", "-"], { input: sequenceStatefulSet });
  if (applied.code !== 0) throw new Error(applied.stderr);
  let pod = await runningElsewhere(world, undefined, 120_000);
  const tenures = [pod.spec.nodeName ?? ""];
  for (let trial = 1; trial <= trials; trial++) {
    const from = pod.spec.nodeName ?? "";
    const machine = world.machine(from);
    const killedAt = performance.now();
    await world.kill(machine);
    pod = await runningElsewhere(world, from, 120_000);
    const seconds = (performance.now() - killedAt) / 1000;
    const to = pod.spec.nodeName ?? "";
    const lines = await sequenceLines(world, pod);
    tenures.push(to);
    assertHandedOver(lines, tenures); // the result is checked before it is printed
    results.push(seconds);
    const line = { bench: "failover", trial, from, to, seconds: +seconds.toFixed(2), lines: lines.length };
    process.stderr.write(JSON.stringify({ ...line, loadavg1: +loadavg()[0].toFixed(2) }) + "\n");
    // The dead machine boots again, lets go of what it had, and is taken back into service.
    await world.revive(machine);
    await eventually(async () => {
      const taints = await world.stowage.kubectl("get", "node", from, "-o", "jsonpath={.spec.taints[*].key}");
      return taints.includes("node.kubernetes.io/out-of-service") ? undefined : true;
    }, 120_000);
  }
  await world.stowage.kubectl("delete", "statefulset", "seq", "--timeout=60s");
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup();
}

const sorted = [...results].sort((a, b) => a - b);
const p50 = sorted[Math.floor((sorted.length - 1) / 2)];
const max = sorted[sorted.length - 1];
const detail = { trials: results.length, seconds: results.map((r) => +r.toFixed(2)) };
bench.figure({ figure: "failover.p50_seconds", value: p50, unit: "s", goal: { op: "<=", value: 15 }, detail });
bench.figure({ figure: "failover.max_seconds", value: max, unit: "s", goal: { op: "<=", value: 30 }, detail });
bench.finish();
