// `stowage up --store etcd://…`: the whole control plane on a real etcd instead of SQLite. A static claim binds to
// its volume (the controllers' informers watch through etcd), and the objects sit in etcd under --etcd-prefix.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { startEtcd } from "../store/testing/etcdserver.js";
import { startUp, upComponents } from "./up.js";

const run = promisify(execFile);

const manifests = `apiVersion: v1
kind: PersistentVolume
metadata: {name: pv-etcd}
spec:
  capacity: {storage: 1Gi}
  accessModes: [ReadWriteOnce]
  hostPath: {path: /tmp/pv-etcd}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  storageClassName: ""
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
`;

test("up on etcd binds a static claim, its objects in etcd under --etcd-prefix", { timeout: 120_000 }, async (t) => {
  const etcd = await startEtcd();
  t.after(() => etcd.stop());
  const dataDir = await mkdtemp(join(tmpdir(), "stowage-up-etcd-"));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const running = await startUp({
    dataDir,
    listen: "127.0.0.1:0",
    store: { kind: "etcd", endpoints: etcd.endpoints },
    etcd: { etcdPrefix: "/stowage-test" },
    components: upComponents, // the control plane: no CSI drivers or node agents needed for a static binding
    log: () => undefined,
  });
  t.after(() => running.stop());
  const kubectl = (args: string[], input?: string) =>
    new Promise<string>((resolve, reject) => {
      const child = execFile("kubectl", ["--kubeconfig", running.kubeconfig, ...args], (err, stdout, stderr) =>
        err ? reject(new Error(stderr || err.message)) : resolve(stdout),
      );
      child.stdin?.end(input ?? "");
    });
  await kubectl(["apply", "-f", "-"], manifests);
  await kubectl(["wait", "pvc/data", "--for=jsonpath={.status.phase}=Bound", "--timeout=60s"]);
  assert.equal(await kubectl(["get", "pvc", "data", "-o", "jsonpath={.spec.volumeName}"]), "pv-etcd");
  const { stdout } = await run(
    "etcdctl",
    ["--endpoints", etcd.endpoints[0], "get", "--prefix", "--keys-only", "/stowage-test/persistentvolume"],
    { env: { ...process.env, ETCDCTL_API: "3" } },
  );
  assert.deepEqual(stdout.split("\n").filter(Boolean), [
    "/stowage-test/persistentvolumeclaims/default/data",
    "/stowage-test/persistentvolumes/pv-etcd",
  ]);
});
