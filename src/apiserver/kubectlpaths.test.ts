// kubectl habits beyond apply and get (issue 15): `kubectl diff` against the live objects, and what
// `kubectl get -o yaml` of one object fed back to `kubectl apply` (the List it writes for several: openapi.kubectl.test.ts).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { startStowage } from "../e2e/stowage.js";

const fixture = fileURLToPath(new URL("./testdata/storage.yaml", import.meta.url));

test("kubectl diff shows what applying would change, exits 1 for a change and 0 for none, and changes nothing", async (t) => {
  const stowage = await startStowage(t);
  await stowage.kubectl("apply", "-f", fixture);
  const unchanged = await stowage.kubectlResult(["diff", "-f", fixture]);
  assert.equal(unchanged.code, 0, unchanged.stderr);
  assert.equal(unchanged.stdout, "");

  const grown = readFileSync(fixture, "utf8").replace("storage: 5Gi\n  accessModes", "storage: 6Gi\n  accessModes");
  const diff = await stowage.kubectlResult(["diff", "-f", "-"], { input: grown });
  assert.equal(diff.code, 1, diff.stderr);
  assert.equal(diff.stderr, "");
  assert.match(diff.stdout, /^--- \S+\/v1\.PersistentVolume\.\.my-pv\t/m);
  assert.match(diff.stdout, /^- {4}storage: 5Gi$/m);
  assert.match(diff.stdout, /^\+ {4}storage: 6Gi$/m);
  // only the PV differs, and the dry run behind the diff stored nothing
  assert.doesNotMatch(diff.stdout, /PersistentVolumeClaim|StorageClass|Pod\./);
  assert.equal(await stowage.kubectl("get", "pv", "my-pv", "-o", "jsonpath={.spec.capacity.storage}"), "5Gi");
});

test("kubectl get -o yaml of one object applies back; a change in a fresh copy is applied, a stale copy is a 409", async (t) => {
  const stowage = await startStowage(t);
  await stowage.kubectl("apply", "-f", fixture);
  const yaml = await stowage.kubectl("get", "pvc", "my-pvc", "-o", "yaml");
  const again = await stowage.kubectlResult(["apply", "-f", "-"], { input: yaml });
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.stdout.trim(), "persistentvolumeclaim/my-pvc configured");
  assert.equal(again.stderr, "");
  // a fresh copy: the one above carries the resourceVersion the apply just moved past, and kubectl sends it as
  // a precondition (a stale copy is a 409, as upstream)
  const fresh = await stowage.kubectl("get", "pvc", "my-pvc", "-o", "yaml");
  const labelled = fresh.replace(/^metadata:\n/m, "metadata:\n  labels:\n    tier: db\n");
  const applied = await stowage.kubectlResult(["apply", "-f", "-"], { input: labelled });
  assert.equal(applied.code, 0, applied.stderr);
  assert.equal(await stowage.kubectl("get", "pvc", "my-pvc", "-o", "jsonpath={.metadata.labels.tier}"), "db");
  const stale = await stowage.kubectlResult(["apply", "-f", "-"], { input: yaml });
  assert.equal(stale.code, 1);
  assert.match(
    stale.stderr,
    /Operation cannot be fulfilled on persistentvolumeclaims "my-pvc": the object has been modified/,
  );
});
