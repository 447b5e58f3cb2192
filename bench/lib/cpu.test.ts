import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import test from "node:test";
import { cpuMs, cpuPerOperation, cpuReading } from "./cpu.js";

test("a process's CPU time grows with the work it does, and a sleeping child's does not", async (t) => {
  const child = spawn("sleep", ["30"]);
  t.after(() => child.kill("SIGKILL"));
  const before = cpuReading({ self: ["self"], sleeper: [child.pid!] });
  // spin until Node itself counts 200 ms of CPU (however long a loaded machine makes that take)
  const started = process.cpuUsage();
  const deadline = performance.now() + 30_000;
  while (performance.now() < deadline) {
    const used = process.cpuUsage(started);
    if (used.user + used.system >= 200_000) break;
  }
  const after = cpuReading({ self: ["self"], sleeper: [child.pid!] });
  // the kernel's count, in 10 ms ticks, agrees within a few ticks
  assert.ok(after.self - before.self >= 150, `self used ${after.self - before.self} ms`);
  assert.ok(after.sleeper - before.sleeper <= 20, `the sleeping child used ${after.sleeper - before.sleeper} ms`);
});

test("CPU per operation is each group's difference divided by the operations, to 0.01 ms", () => {
  assert.deepEqual(cpuPerOperation({ apiservers: 100, etcd: 50 }, { apiservers: 400, etcd: 60 }, 300), {
    apiservers: 1,
    etcd: 0.03,
  });
});

test("a process that is gone is refused, not read as zero", () => {
  assert.throws(() => cpuMs(2 ** 22 + 12345));
});
