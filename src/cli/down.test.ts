// `stowage down` as a user runs it after the README's first example: a real `up` (both drivers, runtime process),
// Ctrl-C or a crash, then `down --purge`; findmnt, losetup and /proc say what is left of the data dir.
import assert from "node:assert/strict";
import { execFile, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, realpath, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";
import { repoRoot, spawnStowage } from "../e2e/agentprocess.js";
import { stowageBundle } from "../e2e/bundle.js";
import { unmountUnder } from "../e2e/mounts.js";

const exec = promisify(execFile);
const main = fileURLToPath(new URL("./main.ts", import.meta.url));

// The README's first claim and pod, once per driver, with a marker in the container's environment that tells its
// processes apart from every other process on the machine.
const example = (marker: string) => `
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: disk}
spec:
  storageClassName: block
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 64Mi}}
---
apiVersion: v1
kind: Pod
metadata: {name: app}
spec:
  containers:
    - name: app
      image: busybox
      command: [sh, -c, "sleep 3600"]
      env: [{name: STOWAGE_DOWN_TEST, value: "${marker}"}]
      volumeMounts: [{name: data, mountPath: /data}, {name: disk, mountPath: /disk}]
  volumes:
    - {name: data, persistentVolumeClaim: {claimName: data}}
    - {name: disk, persistentVolumeClaim: {claimName: disk}}
`;

const upArgs = (dataDir: string) => ["up", "--data-dir", dataDir, "--listen", "127.0.0.1:0", "--runtime", "process"];

interface World {
  dataDir: string;
  marker: string;
  up: ChildProcess;
  /** Starts `up` on the same data dir again (world.up is then that process). */
  restart(): Promise<void>;
  kubectl(...args: string[]): Promise<unknown>;
  stowage(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
}

async function upWithExample(t: TestContext): Promise<World> {
  const bundle = await stowageBundle(t);
  const dataDir = await realpath(await mkdtemp(join(tmpdir(), "stowage-down-")));
  const cache = await mkdtemp(join(tmpdir(), "stowage-down-kubectl-"));
  const marker = `down-${process.pid}-${Date.now()}`;
  const started: ChildProcess[] = [];
  t.after(async () => {
    for (const up of started) up.kill("SIGKILL");
    await unmountUnder(dataDir);
    await rm(dataDir, { recursive: true, force: true });
    await rm(cache, { recursive: true, force: true });
  });
  const up = await spawnStowage(upArgs(dataDir), "Press Ctrl-C to stop.", bundle);
  started.push(up);
  const kubectl = (...a: string[]) =>
    exec("kubectl", a, { env: { ...process.env, KUBECONFIG: join(dataDir, "kubeconfig"), KUBECACHEDIR: cache } });
  const apply = execFile("kubectl", ["apply", "-f", "-"], {
    env: { ...process.env, KUBECONFIG: join(dataDir, "kubeconfig"), KUBECACHEDIR: cache },
  });
  apply.stdin?.end(example(marker));
  const [code] = (await once(apply, "exit")) as [number];
  assert.equal(code, 0);
  await kubectl("wait", "pod/app", "--for=condition=Ready", "--timeout=120s");
  const stowage = (...a: string[]) =>
    exec(process.execPath, [bundle, ...a], { cwd: repoRoot }).then(
      (out) => ({ code: 0, ...out }),
      (err: { code: number; stdout: string; stderr: string }) => err,
    );
  const world: World = {
    dataDir,
    marker,
    up,
    async restart() {
      world.up = await spawnStowage(upArgs(dataDir), "Press Ctrl-C to stop.", bundle);
      started.push(world.up);
    },
    kubectl,
    stowage,
  };
  return world;
}

/** What findmnt, losetup and /proc show of the data dir: mounts, loop devices, processes. */
async function leftOf(world: World) {
  const { stdout: targets } = await exec("findmnt", ["-rn", "-o", "TARGET"]);
  const mounts = targets.split("\n").filter((p) => p === world.dataDir || p.startsWith(`${world.dataDir}/`));
  const { stdout: loops } = await exec("losetup", ["-n", "-l", "-O", "NAME,BACK-FILE"]);
  const loopDevices = loops.split("\n").filter((line) => line.includes(`${world.dataDir}/`));
  const processes: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const [cmdline, environ] = await Promise.all(
      ["cmdline", "environ"].map((f) => readFile(`/proc/${entry}/${f}`, "utf8").catch(() => "")),
    );
    if (cmdline.includes(world.dataDir) || environ.includes(world.marker)) processes.push(Number(entry));
  }
  return { mounts, loopDevices, processes };
}

test("after Ctrl-C, stowage down --purge leaves no mount, loop device or process of the data dir; a second run has nothing to do", async (t) => {
  const world = await upWithExample(t);
  const before = await leftOf(world);
  assert.ok(before.mounts.length >= 3, `the example's volumes are mounted: ${before.mounts.join(", ")}`);
  assert.equal(before.loopDevices.length, 1, "the block claim sits on a loop device");
  assert.ok(before.processes.length >= 2, "stowage up and the pod's container run");

  world.up.kill("SIGINT");
  assert.deepEqual(await once(world.up, "exit"), [0, null]);
  assert.ok((await leftOf(world)).mounts.length > 0, "Ctrl-C keeps the volumes mounted, by design");

  const first = await world.stowage("down", "--data-dir", world.dataDir, "--purge");
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /^unmounted .*\/volumes\/kubernetes\.io~csi\/pvc-[^/]+\/mount$/m);
  assert.match(first.stdout, /^detached \/dev\/loop\d+ \(.*\.img\)$/m);
  assert.match(first.stdout, new RegExp(`^removed ${world.dataDir}$`, "m"));
  assert.deepEqual(await leftOf(world), { mounts: [], loopDevices: [], processes: [] });
  assert.equal(existsSync(world.dataDir), false);

  const second = await world.stowage("down", "--data-dir", world.dataDir, "--purge");
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stdout, /^nothing to do: no stowage up running on .*, and no data dir to remove$/m);
});

test("after stowage up is killed, stowage down kills its containers, unmounts and detaches, and reports it as JSON", async (t) => {
  const world = await upWithExample(t);
  world.up.kill("SIGKILL");
  await once(world.up, "exit");
  const crashed = await leftOf(world);
  assert.ok(crashed.processes.length >= 1, "the pod's container outlives a killed up");
  assert.equal(crashed.loopDevices.length, 1);

  const first = await world.stowage("down", "--data-dir", world.dataDir, "--purge", "-o", "json");
  assert.equal(first.code, 0, first.stderr);
  const report = JSON.parse(first.stdout) as {
    stopped?: unknown;
    containerProcesses: number;
    unmounted: string[];
    detached: Array<{ device: string; file: string }>;
    removed: boolean;
    nothingToDo: boolean;
  };
  assert.equal(report.stopped, null, "a killed up is not running any more");
  assert.ok(report.containerProcesses >= 1);
  assert.ok(report.unmounted.length >= 3);
  assert.equal(report.detached.length, 1);
  assert.equal(report.removed, true);
  assert.equal(report.nothingToDo, false);
  assert.deepEqual(await leftOf(world), { mounts: [], loopDevices: [], processes: [] });

  const second = await world.stowage("down", "--data-dir", world.dataDir, "-o", "json");
  assert.equal((JSON.parse(second.stdout) as { nothingToDo: boolean }).nothingToDo, true);
});

test("stowage down stops an up that is still running on the data dir", async (t) => {
  const world = await upWithExample(t);
  const result = await world.stowage("down", "--data-dir", world.dataDir);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, new RegExp(`^stopped stowage up \\(pid ${world.up.pid}\\) on ${world.dataDir}$`, "m"));
  assert.equal(world.up.exitCode ?? (await once(world.up, "exit"))[0], 0);
  const left = await leftOf(world);
  assert.deepEqual({ mounts: left.mounts, loopDevices: left.loopDevices }, { mounts: [], loopDevices: [] });
  assert.ok(existsSync(join(world.dataDir, "stowage.db")), "without --purge the data dir stays");

  // A later up on the same dir sets the pod's volumes up again: the claims' data is where it was.
  await world.restart();
  await world.kubectl("wait", "pod/app", "--for=condition=Ready", "--timeout=120s");
  assert.equal((await leftOf(world)).loopDevices.length, 1);
  const again = await world.stowage("down", "--data-dir", world.dataDir, "--purge");
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(await leftOf(world), { mounts: [], loopDevices: [], processes: [] });
});

test("stowage down refuses a dir that is not a stowage data dir, and touches nothing in it", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "stowage-down-not-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, "precious.txt"), "keep me");
  const result = await promisify(execFile)(process.execPath, [
    "--import",
    "tsx",
    main,
    "down",
    "--data-dir",
    dir,
    "--purge",
  ]).then(
    () => ({ code: 0, stderr: "" }),
    (err: { code: number; stderr: string }) => err,
  );
  assert.equal(result.code, 1);
  assert.match(result.stderr, /is not a stowage data dir \(it has none of stowage\.db, kubeconfig, pki, nodes, csi\)/);
  assert.equal(await readFile(join(dir, "precious.txt"), "utf8"), "keep me");
});
