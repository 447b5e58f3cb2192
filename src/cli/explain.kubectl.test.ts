// `stowage explain` against a real `stowage up`, and as the kubectl plugin `kubectl stowage explain` found on the
// PATH by the real kubectl, with kubectl's --kubeconfig, --context, -n and KUBECONFIG.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { delimiter } from "node:path";
import { stowageBundle } from "../e2e/bundle.js";
import { startUpWorld } from "../e2e/upworld.js";

const bin = fileURLToPath(new URL("../../bin", import.meta.url));

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** The CLI from a bundle of the sources (loads in a fraction of tsx's time; the same code). */
let main = "";
const stowage = (args: string[], env: Record<string, string> = {}) =>
  new Promise<Ran>((resolve) => {
    execFile(
      process.execPath,
      [main, ...args],
      { env: { ...process.env, ...env }, timeout: 60_000 },
      (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr }),
    );
  });

const claim = (name: string, namespace: string, className: string, size = "1Gi") => `apiVersion: v1
kind: PersistentVolumeClaim
metadata: { name: ${name}, namespace: ${namespace} }
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: "${className}"
  resources: { requests: { storage: ${size} } }
`;
const volume = (name: string, size: string) => `apiVersion: v1
kind: PersistentVolume
metadata: { name: ${name} }
spec:
  capacity: { storage: ${size} }
  accessModes: [ReadWriteOnce]
  storageClassName: ""
  hostPath: { path: /tmp/${name} }
`;

test("stowage explain and kubectl stowage explain say why claims and pods wait", async (t) => {
  const [{ s }, bundle] = await Promise.all([startUpWorld(t, "stowage-explain-"), stowageBundle(t)]);
  main = bundle;
  const docs = [
    claim("orphan", "default", "gold"),
    claim("static", "default", "", "5Gi"),
    volume("explain-small", "1Gi"),
    volume("explain-tiny", "100Mi"),
    claim("dynamic", "default", "standard"),
    "apiVersion: v1\nkind: Namespace\nmetadata: { name: other }\n",
    claim("elsewhere", "other", "silver"),
    `apiVersion: apps/v1
kind: StatefulSet
metadata: { name: web, namespace: default }
spec:
  replicas: 1
  serviceName: web
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec: { containers: [{ name: web, image: busybox }] }
  volumeClaimTemplates:
    - metadata: { name: data }
      spec: { accessModes: [ReadWriteOnce], storageClassName: gold, resources: { requests: { storage: 1Gi } } }
`,
    `apiVersion: snapshot.storage.k8s.io/v1
kind: VolumeSnapshot
metadata: { name: early, namespace: default }
spec: { source: { persistentVolumeClaimName: dynamic } }
`,
    `apiVersion: v1
kind: Pod
metadata: { name: app, namespace: default }
spec:
  containers: [{ name: app, image: busybox }]
  volumes: [{ name: data, persistentVolumeClaim: { claimName: orphan } }]
`,
  ];
  const applied = await s.kubectlResult(["apply", "-f", "-"], { input: docs.join("---\n") });
  assert.equal(applied.code, 0, applied.stderr);
  const kubeconfig = ["--kubeconfig", s.kubeconfig];

  await t.test("a claim whose class does not exist is blocked at the class, in upstream's words", async () => {
    const ran = await stowage(["explain", "pvc/orphan", "-o", "json", ...kubeconfig]);
    assert.equal(ran.code, 0, ran.stderr);
    const verdict = JSON.parse(ran.stdout) as { blocking: { step: string; reason: string; message: string } };
    assert.deepEqual([verdict.blocking.step, verdict.blocking.reason], ["class", "StorageClassNotFound"]);
    assert.equal(verdict.blocking.message, 'storageclass.storage.k8s.io "gold" not found');
  });

  await t.test("a claim no volume fits lists every volume with the reason it does not fit", async () => {
    const ran = await stowage(["explain", "persistentvolumeclaim", "static", ...kubeconfig]);
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(ran.stdout, /^PersistentVolumeClaim default\/static: Pending$/m);
    assert.match(ran.stdout, /^Blocked at binding: NoMatchingVolume$/m);
    assert.match(ran.stdout, /no persistent volumes available for this claim and no storage class is set/);
    assert.match(ran.stdout, /^ {2}explain-small\s+TooSmall\s+capacity 1Gi is less than the 5Gi the claim requests$/m);
    assert.match(ran.stdout, /^ {2}explain-tiny\s+TooSmall\s+capacity 100Mi is less than/m);
    assert.match(ran.stdout, /^Fix: create a PersistentVolume that fits the claim/m);
  });

  await t.test("a WaitForFirstConsumer claim waits for its first consumer, its provisioner registered", async () => {
    const ran = await stowage(["explain", "pvc/dynamic", ...kubeconfig]);
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(ran.stdout, /^Waiting at scheduling: WaitForFirstConsumer$/m);
    assert.match(ran.stdout, /waiting for first consumer to be created before binding/);
    assert.match(ran.stdout, /^ {2}ok\s+provisioner\s+\S+ is registered on /m);
  });

  await t.test("a StatefulSet and a VolumeSnapshot hand over to what they wait on", async () => {
    await s.kubectl("wait", "pod/web-0", "--for=create", "--timeout=60s");
    const [set, snapshot] = await Promise.all([
      stowage(["explain", "sts/web", "-o", "json", ...kubeconfig]),
      stowage(["explain", "volumesnapshot", "early", "-o", "json", ...kubeconfig]),
    ]);
    assert.equal(set.code, 0, set.stderr);
    const setVerdict = JSON.parse(set.stdout) as { blocking: { step: string; reason: string; message: string } };
    assert.deepEqual([setVerdict.blocking.step, setVerdict.blocking.reason], ["class", "StorageClassNotFound"]);
    assert.equal(
      setVerdict.blocking.message,
      'pod web-0: claim data-web-0: storageclass.storage.k8s.io "gold" not found',
    );
    assert.equal(snapshot.code, 0, snapshot.stderr);
    const snapshotVerdict = JSON.parse(snapshot.stdout) as {
      blocking: { step: string; reason: string; message: string };
    };
    assert.deepEqual(
      [snapshotVerdict.blocking.step, snapshotVerdict.blocking.reason],
      ["binding", "SourceClaimNotBound"],
    );
    assert.match(snapshotVerdict.blocking.message, /the source claim dynamic is not Bound: waiting for first consumer/);
  });

  await t.test("an unknown kind and a missing object exit 1 with what to fix", async () => {
    const [unknown, missing] = await Promise.all([
      stowage(["explain", "deploy/web", ...kubeconfig]),
      stowage(["explain", "pvc/nope", ...kubeconfig]),
    ]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /doesn't have a resource type "deploy" that explain reads; kinds: pvc, pod/);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /Error from server \(NotFound\): persistentvolumeclaims "nope" not found/);
    assert.equal(missing.stdout, "");
  });

  const path = `${bin}${delimiter}${process.env.PATH ?? ""}`;
  await t.test("kubectl finds the plugin on the PATH and hands it KUBECONFIG", async () => {
    const plugins = await s.kubectlResult(["plugin", "list"], { env: { PATH: path } });
    assert.match(plugins.stdout, /kubectl-stowage$/m);
    const ran = await s.kubectlResult(["stowage", "explain", "pod/app", "-o", "json"], { env: { PATH: path } });
    assert.equal(ran.code, 0, ran.stderr);
    const verdict = JSON.parse(ran.stdout) as {
      kind: string;
      blocking: { step: string; reason: string; message: string };
    };
    assert.equal(verdict.kind, "Pod");
    assert.deepEqual([verdict.blocking.step, verdict.blocking.reason], ["class", "StorageClassNotFound"]);
    assert.match(verdict.blocking.message, /^claim orphan: storageclass\.storage\.k8s\.io "gold" not found$/);
  });

  await t.test("the plugin honours kubectl's --kubeconfig, --context and -n over KUBECONFIG", async () => {
    const env = { PATH: path, KUBECONFIG: "/nonexistent/kubeconfig" };
    const args = [
      "stowage",
      "explain",
      "pvc/elsewhere",
      "--kubeconfig",
      s.kubeconfig,
      "--context",
      "stowage",
      "-n",
      "other",
    ];
    const [ran, wrongContext] = await Promise.all([
      s.kubectlResult(args, { env }),
      s.kubectlResult([...args.slice(0, -4), "--context", "nope"], { env }),
    ]);
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(ran.stdout, /^PersistentVolumeClaim other\/elsewhere: Pending$/m);
    assert.match(ran.stdout, /storageclass\.storage\.k8s\.io "silver" not found/);
    assert.equal(wrongContext.code, 1);
    assert.match(wrongContext.stderr, /"nope"/);
  });
});
