// A node agent restarted after dying (not stopped: its containers were left running) must neither leak them nor
// run them twice: the new agent kills what the old one left (found by pid, start time and mount namespace) before
// anything starts, then restarts each container as its restartPolicy says, counting the lost run as a restart.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { ConfigMap, Pod, Secret } from "../../api/core/types.js";
import type { Lister } from "../../client/index.js";
import { ProcessRuntime } from "./process.js";
import { containerProcesses, eventually } from "../../e2e/processruntime.js";

const none = <T extends ConfigMap | Secret>(): Lister<T> => ({
  get: () => undefined,
  list: () => [],
  byIndex: () => [],
  keys: () => [],
});
const sources = { configMaps: none<ConfigMap>(), secrets: none<Secret>(), hostIP: "127.0.0.1" };

const pod: Pod = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "long", namespace: "default", uid: "0b7d2a6c-5f7e-4a51-9d3e-restart" },
  spec: {
    restartPolicy: "Always",
    containers: [{ name: "main", image: "busybox", command: ["sh", "-c", "sleep 1000 & sleep 1000"] }],
  },
};

function runtime(rootDir: string, changes: string[] = []) {
  return new ProcessRuntime({
    rootDir,
    onChange: (uid) => changes.push(uid),
    event: () => undefined,
    log: () => undefined,
  });
}

test("a restarted agent kills the containers its dead predecessor left and restarts them as a new run", async (t) => {
  assert.equal(process.getuid?.(), 0, "runtime process needs root");
  const rootDir = await mkdtemp(join(tmpdir(), "stowage-runtime-restart-"));
  const runtimes: ProcessRuntime[] = [];
  t.after(async () => {
    for (const r of runtimes) await r.stop(0);
    for (const pid of await containerProcesses(rootDir)) process.kill(pid, "SIGKILL");
    await rm(rootDir, { recursive: true, force: true });
  });

  const first = runtime(rootDir);
  runtimes.push(first);
  first.syncPod(pod, new Map(), sources);
  const running = await eventually(() =>
    first.statuses(pod.metadata.uid ?? "").get("main")?.state.kind === "running" ? true : undefined,
  );
  assert.ok(running);
  const left = await eventually(async () => {
    const pids = await containerProcesses(rootDir);
    return pids.length >= 2 ? pids : undefined;
  });
  const oldPid = first.containerPid(pod.metadata.uid ?? "", "main");

  // The "first" agent dies without stopping anything; a new one starts on the same root dir. What the API last
  // heard from the first: main running, no restarts.
  const second = runtime(rootDir);
  runtimes.push(second);
  // (the shell may still be forking when `left` was read: at least those are killed)
  assert.ok((await second.killOrphans()) >= left.length, "every process of the old container is killed");
  // SIGKILLed processes leave /proc once the kernel has torn them down: gone soon, not necessarily at once.
  await eventually(async () => ((await containerProcesses(rootDir)).length === 0 ? true : undefined));

  const reported: Pod = {
    ...pod,
    status: {
      containerStatuses: [
        {
          name: "main",
          state: { running: { startedAt: "2026-01-01T00:00:00Z" } },
          ready: true,
          restartCount: 0,
          image: "busybox",
          imageID: "",
        },
      ],
    },
  };
  second.syncPod(reported, new Map(), sources);
  const status = await eventually(() => {
    const s = second.statuses(pod.metadata.uid ?? "").get("main");
    return s?.state.kind === "running" ? s : undefined;
  });
  assert.equal(status.restartCount, 1);
  assert.equal(status.lastState?.reason, "ContainerStatusUnknown");
  assert.equal(status.lastState?.exitCode, 137);
  assert.notEqual(second.containerPid(pod.metadata.uid ?? "", "main"), oldPid);
});
