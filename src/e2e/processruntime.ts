// Test helpers for runtime "process": a whole `stowage up --runtime process` (apiserver, controllers, scheduler,
// hostpath CSI driver with its sidecars, one node agent) on a temp dir, driven with the real kubectl. t.after
// stops it, and fails the test if any container process outlived the agent.
import assert from "node:assert/strict";
import { readdir, readFile, readlink } from "node:fs/promises";
import type { TestContext } from "node:test";
import type { Pod } from "../api/core/types.js";
import { eventually, startStowage, type Stowage } from "./stowage.js";
import { defaultUpComponents } from "../cli/up.js";

export { eventually };

/** Processes (pids) in another mount namespace whose mount table names `dir`: containers started under it. */
export async function containerProcesses(dir: string): Promise<number[]> {
  const own = await readlink("/proc/self/ns/mnt");
  const pids: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if ((await readlink(`/proc/${entry}/ns/mnt`)) === own) continue;
      if ((await readFile(`/proc/${entry}/mountinfo`, "utf8")).includes(dir)) pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

export interface ProcessStowage extends Stowage {
  apply(manifest: string): Promise<void>;
  pod(name: string): Promise<Pod>;
  /** Waits for kubectl to show the pod in `phase` (kubectl wait --for=jsonpath). */
  waitForPhase(name: string, phase: string, timeoutSeconds?: number): Promise<Pod>;
}

export async function startProcessStowage(t: TestContext, options: { nodes?: number } = {}): Promise<ProcessStowage> {
  assert.equal(process.getuid?.(), 0, "runtime process needs root (mount namespaces, overlay, bind mounts)");
  const stowage = await startStowage(t, {
    store: "memory",
    components: defaultUpComponents({ runtime: "process", nodes: options.nodes ?? 1 }),
  });
  // Registered after startStowage's own t.after (which stops everything): t.after hooks run in reverse order,
  // so stop explicitly here first, then check.
  t.after(async () => {
    await stowage.stop();
    const left = await containerProcesses(stowage.dataDir);
    for (const pid of left) process.kill(pid, "SIGKILL");
    assert.deepEqual(left, [], "container processes left after the agent stopped");
  });
  const out: ProcessStowage = Object.assign(stowage, {
    async apply(manifest: string) {
      const result = await stowage.kubectlResult(["apply", "-f", "-"], { input: manifest });
      assert.equal(result.code, 0, result.stderr);
    },
    async pod(name: string) {
      return JSON.parse(await stowage.kubectl("get", "pod", name, "-o", "json")) as Pod;
    },
    async waitForPhase(name: string, phase: string, timeoutSeconds = 30) {
      const result = await stowage.kubectlResult([
        "wait",
        `pod/${name}`,
        `--for=jsonpath={.status.phase}=${phase}`,
        `--timeout=${timeoutSeconds}s`,
      ]);
      const pod = await out.pod(name);
      // A timeout says where the pod is instead: its status and events are what one would look at.
      if (result.code !== 0) {
        const events = await stowage.kubectl("get", "events", "--field-selector", `involvedObject.name=${name}`);
        assert.fail(`pod ${name} not ${phase}: ${result.stderr}\n${JSON.stringify(pod.status)}\n${events}`);
      }
      return pod;
    },
  });
  return out;
}
