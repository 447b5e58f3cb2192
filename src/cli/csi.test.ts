import assert from "node:assert/strict";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { access, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import type { CSINode } from "../api/storage/types.js";
import { CsiClient } from "../csi/client.js";
import { DRIVER_NAME, TOPOLOGY_KEY } from "../csi/drivers/hostpath/index.js";
import { mountsUnder, unmount } from "../support/mount.js";
import { killProcess, spawnAgent } from "../e2e/agentprocess.js";
import { controllerManagerComponent } from "./controllermanager.js";
import { eventually, startStowage } from "../e2e/stowage.js";

const main = fileURLToPath(new URL("./main.ts", import.meta.url));
const run = (...args: string[]) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    execFile(process.execPath, ["--import", "tsx", main, ...args], (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr }),
    ),
  );

const cases = [
  {
    name: "an endpoint that is not a unix socket is refused with the form to use",
    args: ["csi", "hostpath", "--endpoint", "tcp://127.0.0.1:10000", "--node-id", "n", "--state-dir", "/tmp/x"],
    stderr: /invalid CSI endpoint "tcp:\/\/127\.0\.0\.1:10000": want unix:\/\/\/absolute\/path\/csi\.sock/,
  },
  {
    name: "an unknown driver is refused naming the known ones",
    args: ["csi", "nfs", "--endpoint", "unix:///tmp/x.sock", "--node-id", "n", "--state-dir", "/tmp/x"],
    stderr: /unknown driver "nfs": want hostpath or block/,
  },
  {
    name: "a missing --node-id is refused",
    args: ["csi", "hostpath", "--endpoint", "unix:///tmp/x.sock", "--state-dir", "/tmp/x"],
    stderr: /required option '--node-id <name>' not specified/,
  },
  {
    name: "a capacity that is not a quantity is refused",
    args: [
      "csi",
      "hostpath",
      "--endpoint",
      "unix:///tmp/x.sock",
      "--node-id",
      "n",
      "--state-dir",
      "/tmp/x",
      "--capacity",
      "lots",
    ],
    stderr: /lots: want bytes like 10Gi or 500M/,
  },
];

for (const c of cases) {
  test(`stowage csi: ${c.name}`, async () => {
    const { code, stderr } = await run(...c.args);
    assert.notEqual(code, 0);
    assert.match(stderr, c.stderr);
  });
}

test("stowage csi hostpath serves on its socket until SIGTERM, then removes the socket", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "cli-csi-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const socket = join(dir, "csi.sock");
  const child = spawn(process.execPath, [
    "--import",
    "tsx",
    main,
    "csi",
    "hostpath",
    "--endpoint",
    `unix://${socket}`,
    "--node-id",
    "node-7",
    "--state-dir",
    join(dir, "state"),
    "--capacity",
    "10Gi",
    "--max-volumes-per-node",
    "5",
  ]);
  t.after(() => child.kill("SIGKILL"));
  const client = await CsiClient.connect(`unix://${socket}`, { readyTimeoutMs: 20_000 });
  t.after(() => client.close());
  assert.equal((await client.pluginInfo()).name, "hostpath.csi.stowage.dev");
  const info = await client.nodeInfo();
  assert.equal(info.node_id, "node-7");
  assert.equal(info.max_volumes_per_node, 5);
  assert.equal((await client.controller.GetCapacity({})).available_capacity, 10 * 1024 ** 3);

  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const [code] = await exited;
  assert.equal(code, 0);
  await assert.rejects(access(socket), { code: "ENOENT" });
});

test("stowage csi: --kubelet-registration-path without --register is refused", async () => {
  const { code, stderr } = await run(
    "csi",
    "hostpath",
    "--endpoint",
    "unix:///tmp/x.sock",
    "--node-id",
    "n",
    "--state-dir",
    "/tmp/x",
    "--kubelet-registration-path",
    "/tmp/x.sock",
  );
  assert.notEqual(code, 0);
  assert.match(stderr, /--kubelet-registration-path needs --register <root-dir>/);
});

test("stowage csi hostpath --register announces the driver to a separate stowage node: CSINode entry, a claim mounts, SIGTERM deregisters", async (t) => {
  const stowage = await startStowage(t, { store: "memory", components: [controllerManagerComponent] });
  const dir = await mkdtemp(join(tmpdir(), "cli-reg-"));
  const rootDir = join(dir, "root");
  const socket = join(dir, "csi.sock");
  const children: ChildProcess[] = [];
  t.after(async () => {
    for (const child of children) await killProcess(child);
    for (const mount of (await mountsUnder(dir)).reverse()) await unmount(mount).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });
  children.push(
    await spawnAgent({ kubeconfig: stowage.kubeconfig, dataDir: stowage.dataDir, nodeName: "node-1", rootDir }),
  );
  const driver = spawn(process.execPath, [
    "--import",
    "tsx",
    main,
    ...["csi", "hostpath", "--endpoint", `unix://${socket}`, "--node-id", "node-1"],
    ...["--state-dir", join(dir, "state"), "--register", rootDir],
  ]);
  children.push(driver);
  let driverOutput = "";
  driver.stderr.on("data", (d: Buffer) => (driverOutput += d.toString()));

  // The agent found the registration socket: NodeGetInfo → the CSINode entry, and it told the driver.
  const csiNode = await eventually(async () => {
    const out = await stowage.kubectlResult(["get", "csinode", "node-1", "-o", "json"]);
    const parsed = out.code === 0 ? (JSON.parse(out.stdout) as CSINode) : undefined;
    return parsed?.spec.drivers.length ? parsed : undefined;
  }, 30_000);
  assert.deepEqual(csiNode.spec.drivers, [{ name: DRIVER_NAME, nodeID: "node-1", topologyKeys: [TOPOLOGY_KEY] }]);
  await eventually(() => (driverOutput.includes(`registered with the node agent at ${rootDir}`) ? true : undefined));
  await access(join(rootDir, "plugins_registry", `${DRIVER_NAME}-reg.sock`));

  // A pod with a claim of that driver mounts it on the node.
  const client = await CsiClient.connect(`unix://${socket}`, { readyTimeoutMs: 10_000 });
  const { volume } = await client.controller.CreateVolume({
    name: "data",
    capacity_range: { required_bytes: 1 << 20 },
    volume_capabilities: [{ mount: {}, access_mode: { mode: "SINGLE_NODE_WRITER" } }],
    parameters: {},
  });
  client.close();
  const apply = await stowage.kubectlResult(["apply", "-f", "-"], {
    input: registeredClaimYaml(volume?.volume_id ?? ""),
  });
  assert.equal(apply.code, 0, apply.stderr);
  await stowage.kubectl("wait", "pod/app", "--for=condition=Ready", "--timeout=30s");
  const uid = (await stowage.kubectl("get", "pod", "app", "-o", "jsonpath={.metadata.uid}")).trim();
  const target = join(rootDir, "pods", uid, "volumes", "kubernetes.io~csi", "pv-data", "mount");
  assert.ok((await mountsUnder(dir)).includes(target), `${target} is mounted`);

  await stowage.kubectl("delete", "pod", "app", "--timeout=30s");
  assert.deepEqual(
    (await mountsUnder(dir)).filter((m) => m.startsWith(rootDir)),
    [],
    "the pod's volume is unmounted and unstaged",
  );
  // SIGTERM: the registration socket goes, and the agent drops the driver from the CSINode.
  const exited = once(driver, "exit");
  driver.kill("SIGTERM");
  assert.equal((await exited)[0], 0);
  await eventually(async () => {
    const out = await stowage.kubectl("get", "csinode", "node-1", "-o", "jsonpath={.spec.drivers}");
    return out.trim() === "" || out.trim() === "[]" ? true : undefined;
  }, 10_000);
});

function registeredClaimYaml(handle: string): string {
  return `apiVersion: storage.k8s.io/v1
kind: CSIDriver
metadata: { name: ${DRIVER_NAME} }
spec: { attachRequired: false }
---
apiVersion: v1
kind: PersistentVolume
metadata: { name: pv-data }
spec:
  capacity: { storage: 1Mi }
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  claimRef: { namespace: default, name: data }
  csi: { driver: ${DRIVER_NAME}, volumeHandle: ${handle} }
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: { name: data, namespace: default }
spec:
  accessModes: [ReadWriteOnce]
  resources: { requests: { storage: 1Mi } }
  volumeName: pv-data
  storageClassName: ""
---
apiVersion: v1
kind: Pod
metadata: { name: app, namespace: default }
spec:
  nodeName: node-1
  containers: [{ name: app, image: busybox, volumeMounts: [{ name: data, mountPath: /data }] }]
  volumes: [{ name: data, persistentVolumeClaim: { claimName: data } }]
`;
}
