// `stowage restore create --existing-resource-policy`: Velero's existingResourcePolicy. By default an object that
// is there and differs from the backup is left as it is, with a warning; with update it is patched back to the
// backed-up version and reported Updated. An object identical to the backup's is skipped quietly either way.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { startStowage } from "../e2e/stowage.js";
import { runStowage } from "../e2e/agentprocess.js";
import { controllerManagerComponent } from "./controllermanager.js";
import { createLocalBackupLocation } from "../e2e/backuplocation.js";

const shop = `
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: shop, labels: {app: shop}}
data: {color: blue, size: large}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: untouched, namespace: shop}
data: {answer: "42"}
`;

test("an existing object that differs is skipped with a warning, or with --existing-resource-policy update patched back", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "stowage-restore-policy-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const s = await startStowage(t, { store: "memory", components: [controllerManagerComponent] });
  const connect = ["--kubeconfig", s.kubeconfig];
  const applied = await s.kubectlResult(["apply", "-f", "-"], { input: shop });
  assert.equal(applied.code, 0, applied.stderr);
  await createLocalBackupLocation(dir, s.kubeconfig, "policy");
  const backup = await runStowage(["backup", "create", "shop", "--include-namespaces", "shop", "--wait", ...connect]);
  assert.equal(backup.code, 0, backup.stderr + backup.stdout);

  // Changed since the backup: a value, a key added, a label removed.
  await s.kubectl(
    "patch",
    "configmap",
    "settings",
    "-n",
    "shop",
    "--type=merge",
    "-p",
    '{"data":{"color":"red","extra":"x"}}',
  );
  await s.kubectl("label", "configmap", "settings", "-n", "shop", "app-");
  const settings = () =>
    s.kubectl("get", "configmap", "settings", "-n", "shop", "-o", "jsonpath={.data}|{.metadata.labels}");

  const kept = await runStowage(["restore", "create", "keep", "--from-backup", "shop", "--wait", ...connect]);
  assert.equal(kept.code, 0, kept.stderr + kept.stdout);
  assert.match(
    kept.stdout,
    /^ {2}Skipped configmaps shop\/settings: could not restore, ConfigMap "settings" already exists\. Warning: the in-cluster version is different than the backed-up version$/m,
  );
  assert.match(kept.stdout, /^ {2}Skipped configmaps shop\/untouched$/m, "identical: skipped without a warning");
  const warnings = ["get", "restore", "-n", "stowage-backup", "-o", "jsonpath={.status.phase}/{.status.warnings}"];
  assert.equal(await s.kubectl(...warnings.slice(0, 2), "keep", ...warnings.slice(2)), "Completed/1");
  assert.equal(await settings(), '{"color":"red","extra":"x","size":"large"}|{}');

  const updated = await runStowage([
    "restore",
    "create",
    "update",
    "--from-backup",
    "shop",
    "--existing-resource-policy",
    "update",
    "--wait",
    ...connect,
  ]);
  assert.equal(updated.code, 0, updated.stderr + updated.stdout);
  assert.match(updated.stdout, /^ {2}Updated configmaps shop\/settings$/m);
  assert.match(updated.stdout, /^ {2}Skipped configmaps shop\/untouched$/m);
  assert.equal(await settings(), '{"color":"blue","size":"large"}|{"app":"shop"}', "the backed-up version, exactly");

  const bad = await runStowage([
    "restore",
    "create",
    "x",
    "--from-backup",
    "shop",
    "--existing-resource-policy",
    "replace",
    ...connect,
  ]);
  assert.equal(bad.code, 1);
  assert.match(
    bad.stderr,
    /option '--existing-resource-policy <policy>' argument 'replace' is invalid\. Allowed choices are none, update\./,
  );
});
