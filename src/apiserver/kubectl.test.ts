// The real kubectl against a real stowage (SQLite store, HTTP): what users type, what they see, no warnings.
import assert from "node:assert/strict";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { eventually, startStowage } from "../e2e/stowage.js";

const fixture = (name: string) => fileURLToPath(new URL(`./testdata/${name}`, import.meta.url));

test("kubectl applies the seeds' PV, PVC, StorageClass and Pod and lists them with upstream's columns", async (t) => {
  const stowage = await startStowage(t);
  const applied = await stowage.kubectl("apply", "-f", fixture("storage.yaml"));
  assert.match(applied, /persistentvolume\/my-pv created/);
  assert.match(applied, /persistentvolumeclaim\/my-pvc created/);
  assert.match(applied, /storageclass.storage.k8s.io\/fast created/);
  assert.match(applied, /pod\/app created/);

  const out = await stowage.kubectl("get", "pv,pvc,sc");
  assert.match(
    out,
    /^NAME\s+CAPACITY\s+ACCESS MODES\s+RECLAIM POLICY\s+STATUS\s+CLAIM\s+STORAGECLASS\s+VOLUMEATTRIBUTESCLASS\s+REASON\s+AGE$/m,
  );
  assert.match(out, /^persistentvolume\/my-pv\s+5Gi\s+RWO\s+Retain\s+/m);
  assert.match(out, /^NAME\s+STATUS\s+VOLUME\s+CAPACITY\s+ACCESS MODES\s+STORAGECLASS\s+VOLUMEATTRIBUTESCLASS\s+AGE$/m);
  assert.match(out, /^persistentvolumeclaim\/my-pvc\s+Pending\s+/m);
  assert.match(out, /^NAME\s+PROVISIONER\s+RECLAIMPOLICY\s+VOLUMEBINDINGMODE\s+ALLOWVOLUMEEXPANSION\s+AGE$/m);
  assert.match(
    out,
    /^storageclass.storage.k8s.io\/fast \(default\)\s+hostpath.csi.stowage.io\s+Delete\s+WaitForFirstConsumer\s+true\s+/m,
  );

  // applying the same file again changes nothing and says so
  const again = await stowage.kubectl("apply", "-f", fixture("storage.yaml"));
  assert.match(again, /persistentvolume\/my-pv unchanged/);
});

test("kubectl -o yaml and -o jsonpath show the stored object with server-set fields", async (t) => {
  const stowage = await startStowage(t);
  await stowage.kubectl("apply", "-f", fixture("storage.yaml"));
  const yaml = await stowage.kubectl("get", "pvc", "my-pvc", "-o", "yaml");
  assert.match(yaml, /^kind: PersistentVolumeClaim$/m);
  assert.match(yaml, /^ {2}uid: [0-9a-f-]{36}$/m);
  assert.match(yaml, /^ {2}resourceVersion: "\d+"$/m);
  assert.match(yaml, /- kubernetes.io\/pvc-protection/);
  assert.equal(await stowage.kubectl("get", "pv", "my-pv", "-o", "jsonpath={.spec.capacity.storage}"), "5Gi");
  assert.equal(
    await stowage.kubectl("get", "pv", "my-pv", "-o", "jsonpath={.spec.persistentVolumeReclaimPolicy}"),
    "Retain",
  );
  assert.equal(await stowage.kubectl("get", "pods", "-o", "jsonpath={.items[*].metadata.name}"), "app");
});

test("kubectl describe pvc shows the claim and its events", async (t) => {
  const stowage = await startStowage(t);
  await stowage.kubectl("apply", "-f", fixture("storage.yaml"));
  // describe finds events by involvedObject name, namespace, kind and uid
  const uid = await stowage.kubectl("get", "pvc", "my-pvc", "-o", "jsonpath={.metadata.uid}");
  const event = readFileSync(fixture("event.yaml"), "utf8").replace(
    "namespace: default\nreason",
    `namespace: default\n  uid: ${uid}\nreason`,
  );
  const created = await stowage.kubectlResult(["create", "-f", "-"], { input: event });
  assert.equal(created.code, 0, created.stderr);
  const out = await stowage.kubectl("describe", "pvc", "my-pvc");
  assert.match(out, /^Name:\s+my-pvc$/m);
  assert.match(out, /^Status:\s+Pending$/m);
  assert.match(out, /^Used By:\s+app$/m);
  assert.match(
    out,
    /Warning\s+FailedBinding\s+.*persistentvolume-controller\s+no persistent volumes available for this claim and no storage class is set/,
  );
  // the other storage objects describe cleanly too
  await stowage.kubectl("describe", "pv", "my-pv");
  await stowage.kubectl("describe", "sc", "fast");
  await stowage.kubectl("describe", "pod", "app");
});

test("kubectl patch (json, merge, strategic) and label change the object", async (t) => {
  const stowage = await startStowage(t);
  await stowage.kubectl("apply", "-f", fixture("storage.yaml"));
  await stowage.kubectl(
    "patch",
    "pv",
    "my-pv",
    "--type=merge",
    "-p",
    '{"spec":{"persistentVolumeReclaimPolicy":"Delete"}}',
  );
  assert.equal(
    await stowage.kubectl("get", "pv", "my-pv", "-o", "jsonpath={.spec.persistentVolumeReclaimPolicy}"),
    "Delete",
  );
  await stowage.kubectl(
    "patch",
    "pv",
    "my-pv",
    "--type=json",
    "-p",
    '[{"op":"replace","path":"/spec/capacity/storage","value":"6Gi"}]',
  );
  assert.equal(await stowage.kubectl("get", "pv", "my-pv", "-o", "jsonpath={.spec.capacity.storage}"), "6Gi");
  // a failing JSON Patch test: upstream's generic message, the reason in a cause kubectl prints
  const failed = await stowage.kubectlResult([
    "patch",
    "pv",
    "my-pv",
    "--type=json",
    "-p",
    '[{"op":"test","path":"/spec/capacity/storage","value":"1Gi"}]',
  ]);
  assert.equal(failed.code, 1);
  assert.match(
    failed.stderr,
    /^The request is invalid: patch: testing value \/spec\/capacity\/storage failed: test failed$/m,
    failed.stderr,
  );
  await stowage.kubectl("patch", "pv", "my-pv", "-p", '{"metadata":{"labels":{"zone":"a"}}}');
  assert.equal(await stowage.kubectl("get", "pv", "my-pv", "-o", "jsonpath={.metadata.labels.zone}"), "a");
  await stowage.kubectl("label", "pvc", "my-pvc", "team=storage");
  assert.match(await stowage.kubectl("get", "pvc", "-l", "team=storage"), /^my-pvc\s/m);
  assert.equal(await stowage.kubectl("get", "pvc", "-l", "team=other", "-o", "name"), "");
  assert.equal(
    await stowage.kubectl("get", "pv", "--field-selector", "metadata.name=my-pv", "-o", "name"),
    "persistentvolume/my-pv\n",
  );
});

test("a deleted claim with a finalizer stays Terminating until the finalizer is removed", async (t) => {
  const stowage = await startStowage(t);
  await stowage.kubectl("apply", "-f", fixture("held.yaml"));
  await stowage.kubectl("delete", "pvc", "held", "--wait=false");
  const deletion = await stowage.kubectl("get", "pvc", "held", "-o", "jsonpath={.metadata.deletionTimestamp}");
  assert.match(deletion, /^\d{4}-\d\d-\d\dT/);
  assert.match(await stowage.kubectl("describe", "pvc", "held"), /^Status:\s+Terminating/m);
  // the user's finalizer and pvc-protection both hold it
  await stowage.kubectl("patch", "pvc", "held", "--type=json", "-p", '[{"op":"remove","path":"/metadata/finalizers"}]');
  const gone = await stowage.kubectlResult(["get", "pvc", "held"]);
  assert.equal(gone.code, 1);
  assert.match(gone.stderr, /persistentvolumeclaims "held" not found/);
});

test("kubectl delete removes an object, and wait --for=delete returns", async (t) => {
  const stowage = await startStowage(t);
  await stowage.kubectl("apply", "-f", fixture("storage.yaml"));
  assert.match(await stowage.kubectl("delete", "sc", "fast"), /storageclass.storage.k8s.io "fast" deleted/);
  assert.match(await stowage.kubectl("delete", "pod", "app"), /pod "app" deleted/);
  await stowage.kubectl("wait", "--for=delete", "pod/app", "--timeout=10s");
});

test("kubectl wait --for=jsonpath returns once the status changes", async (t) => {
  const stowage = await startStowage(t);
  await stowage.kubectl("apply", "-f", fixture("storage.yaml"));
  const waiting = stowage.kubectlResult([
    "wait",
    "pv/my-pv",
    "--for=jsonpath={.status.phase}=Available",
    "--timeout=20s",
  ]);
  await new Promise((r) => setTimeout(r, 300));
  await stowage.kubectl(
    "patch",
    "pv",
    "my-pv",
    "--subresource=status",
    "--type=merge",
    "-p",
    '{"status":{"phase":"Available"}}',
  );
  const result = await waiting;
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stderr, "");
  assert.match(result.stdout, /persistentvolume\/my-pv condition met/);
});

test("kubectl get -w prints a row for each update", async (t) => {
  const stowage = await startStowage(t);
  await stowage.kubectl("apply", "-f", fixture("storage.yaml"));
  const watch = stowage.kubectlBackground("get", "pvc", "-w");
  await eventually(() => (/^my-pvc\s+Pending/m.test(watch.output()) ? true : undefined));
  await stowage.kubectl(
    "patch",
    "pvc",
    "my-pvc",
    "--subresource=status",
    "--type=merge",
    "-p",
    '{"status":{"phase":"Lost"}}',
  );
  await eventually(() => (/^my-pvc\s+Lost/m.test(watch.output()) ? true : undefined));
  await watch.stop();
  assert.match(watch.output(), /^NAME\s+STATUS\s+VOLUME/m);
  assert.equal(watch.stderr(), "");
});

test("kubectl create namespace, configmap and secret (protobuf bodies) work, and deleting the namespace empties it", async (t) => {
  const stowage = await startStowage(t);
  assert.match(await stowage.kubectl("create", "namespace", "team"), /namespace\/team created/);
  await stowage.kubectl("create", "configmap", "settings", "--from-literal=mode=fast", "-n", "team");
  await stowage.kubectl("create", "secret", "generic", "creds", "--from-literal=password=hunter2", "-n", "team");
  assert.equal(
    await stowage.kubectl("get", "configmap", "settings", "-n", "team", "-o", "jsonpath={.data.mode}"),
    "fast",
  );
  assert.equal(
    await stowage.kubectl("get", "secret", "creds", "-n", "team", "-o", "jsonpath={.data.password}"),
    "aHVudGVyMg==",
  );
  assert.equal(await stowage.kubectl("get", "namespace", "team", "-o", "jsonpath={.metadata.generateName}"), "");
  assert.match(await stowage.kubectl("delete", "namespace", "team"), /namespace "team" deleted/);
  const gone = await stowage.kubectlResult(["get", "configmap", "settings", "-n", "team"]);
  assert.match(gone.stderr, /not found/);
});

test("kubectl apply --server-side applies the seeds' files", async (t) => {
  const stowage = await startStowage(t);
  const result = await stowage.kubectlResult(["apply", "--server-side", "-f", fixture("held.yaml")]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /serverside-applied/);
});

test("kubectl edit saves a change made in the editor, without warnings", async (t) => {
  const stowage = await startStowage(t);
  await stowage.kubectl("apply", "-f", fixture("storage.yaml"));
  const editor = join(stowage.dataDir, "editor.sh");
  writeFileSync(
    editor,
    "#!/bin/sh\nsed -i 's/persistentVolumeReclaimPolicy: Retain/persistentVolumeReclaimPolicy: Delete/' \"$1\"\n",
  );
  chmodSync(editor, 0o755);
  const edited = await stowage.kubectlResult(["edit", "pv", "my-pv"], { env: { EDITOR: editor, KUBE_EDITOR: editor } });
  assert.equal(edited.code, 0, edited.stderr);
  assert.equal(edited.stderr, "");
  assert.match(edited.stdout, /persistentvolume\/my-pv edited/);
  assert.equal(
    await stowage.kubectl("get", "pv", "my-pv", "-o", "jsonpath={.spec.persistentVolumeReclaimPolicy}"),
    "Delete",
  );
  // -o wide and events list cleanly too
  assert.match(
    await stowage.kubectl("get", "pv", "-o", "wide"),
    /^NAME\s+CAPACITY\s+ACCESS MODES\s+RECLAIM POLICY\s+STATUS\s+CLAIM\s+STORAGECLASS\s+VOLUMEATTRIBUTESCLASS\s+REASON\s+AGE\s+VOLUMEMODE$/m,
  );
  const events = await stowage.kubectlResult(["get", "events", "-A"]);
  assert.equal(events.code, 0);
  assert.equal(events.stderr, "No resources found\n"); // kubectl's own note, on stderr
});

test("kubectl scale changes a StatefulSet's replicas through its scale subresource", async (t) => {
  const stowage = await startStowage(t);
  await stowage.kubectl("apply", "-f", fixture("statefulset.yaml"));
  assert.match(
    await stowage.kubectl("scale", "statefulset", "mysql", "--replicas=5"),
    /statefulset.apps\/mysql scaled/,
  );
  assert.equal(await stowage.kubectl("get", "statefulset", "mysql", "-o", "jsonpath={.spec.replicas}"), "5");
  const refused = await stowage.kubectlResult([
    "scale",
    "statefulset",
    "mysql",
    "--replicas=2",
    "--current-replicas=3",
  ]);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /Expected replicas to be 3, was 5/);
});

test("kubectl auth can-i answers yes: stowage does not authorize yet", async (t) => {
  const stowage = await startStowage(t);
  assert.equal(await stowage.kubectl("auth", "can-i", "create", "persistentvolumeclaims"), "yes\n");
  assert.match(await stowage.kubectl("auth", "can-i", "--list"), /\*\.\*\s+\[\]\s+\[\]\s+\[\*\]/);
});
