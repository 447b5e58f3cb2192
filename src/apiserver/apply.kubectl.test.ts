// Server-side apply as the real kubectl drives it: create and update, managers' managedFields, conflicts with
// upstream's text, --force-conflicts, the status subresource, and the move from client-side apply.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ok, startSecuredApiServer, type Kubectl } from "./testing/secured.js";

const configMap = (data: Record<string, string>) =>
  JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "settings" }, data });

interface Entry {
  manager: string;
  operation: string;
  apiVersion: string;
  time: string;
  fieldsType: string;
  fieldsV1: Record<string, unknown>;
  subresource?: string;
}

async function managedFields(kubectl: Kubectl, resource: string): Promise<Entry[]> {
  const out = await ok(kubectl, ["get", resource, "-o", "json", "--show-managed-fields"]);
  return (JSON.parse(out) as { metadata: { managedFields?: Entry[] } }).metadata.managedFields ?? [];
}

test("kubectl apply --server-side creates, then updates, owning what it applied", async (t) => {
  const { admin } = await startSecuredApiServer(t);
  const created = await ok(admin, ["apply", "--server-side", "-f", "-"], configMap({ color: "red" }));
  assert.match(created, /^configmap\/settings serverside-applied$/m);
  let entries = await managedFields(admin, "configmap/settings");
  assert.equal(entries.length, 1);
  assert.equal(entries[0].manager, "kubectl");
  assert.equal(entries[0].operation, "Apply");
  assert.equal(entries[0].apiVersion, "v1");
  assert.equal(entries[0].fieldsType, "FieldsV1");
  assert.match(entries[0].time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.deepEqual(entries[0].fieldsV1, { "f:data": { "f:color": {} } });

  const rv = await ok(admin, ["get", "configmap/settings", "-o", "jsonpath={.metadata.resourceVersion}"]);
  await ok(admin, ["apply", "--server-side", "-f", "-"], configMap({ color: "red" }));
  const same = await ok(admin, ["get", "configmap/settings", "-o", "jsonpath={.metadata.resourceVersion}"]);
  assert.equal(same, rv, "applying the same configuration writes nothing");

  // a server-side dry run answers what would be, and writes nothing
  const dry = await ok(
    admin,
    ["apply", "--server-side", "--dry-run=server", "-o", "jsonpath={.data.color}", "-f", "-"],
    configMap({ color: "green" }),
  );
  assert.equal(dry, "green");
  assert.equal(await ok(admin, ["get", "configmap/settings", "-o", "jsonpath={.data.color}"]), "red");

  // a field the manager no longer applies, and no one else owns, goes away
  await ok(admin, ["apply", "--server-side", "-f", "-"], configMap({ size: "big" }));
  assert.equal(await ok(admin, ["get", "configmap/settings", "-o", "jsonpath={.data}"]), '{"size":"big"}');
  entries = await managedFields(admin, "configmap/settings");
  assert.deepEqual(entries[0].fieldsV1, { "f:data": { "f:size": {} } });
});

test("two managers applying one field conflict with upstream's text; --force-conflicts makes the second win", async (t) => {
  const { admin } = await startSecuredApiServer(t);
  await ok(
    admin,
    ["apply", "--server-side", "--field-manager=alice", "-f", "-"],
    configMap({ color: "red", size: "big" }),
  );

  const one = await admin(["apply", "--server-side", "--field-manager=bob", "-f", "-"], configMap({ color: "blue" }));
  assert.notEqual(one.code, 0);
  assert.match(one.stderr, /^error: Apply failed with 1 conflict: conflict with "alice": \.data\.color$/m);
  assert.match(one.stderr, /--force-conflicts/);

  const two = await admin(
    ["apply", "--server-side", "--field-manager=bob", "-f", "-"],
    configMap({ color: "blue", size: "small" }),
  );
  assert.notEqual(two.code, 0);
  assert.match(two.stderr, /Apply failed with 2 conflicts: conflicts with "alice":\n- \.data\.color\n- \.data\.size/);

  // the same value is no conflict: both own it
  await ok(admin, ["apply", "--server-side", "--field-manager=carol", "-f", "-"], configMap({ size: "big" }));

  await ok(
    admin,
    ["apply", "--server-side", "--field-manager=bob", "--force-conflicts", "-f", "-"],
    configMap({ color: "blue" }),
  );
  assert.equal(await ok(admin, ["get", "configmap/settings", "-o", "jsonpath={.data.color}"]), "blue");
  const entries = await managedFields(admin, "configmap/settings");
  const byManager = Object.fromEntries(entries.map((e) => [e.manager, e.fieldsV1]));
  assert.deepEqual(byManager, {
    alice: { "f:data": { "f:size": {} } },
    carol: { "f:data": { "f:size": {} } },
    bob: { "f:data": { "f:color": {} } },
  });
  assert.ok(entries.every((e) => e.operation === "Apply"));
});

test("writes that are no apply are tracked as Update, and an apply conflicting with one names it", async (t) => {
  const { admin } = await startSecuredApiServer(t);
  await ok(admin, ["create", "configmap", "settings", "--from-literal=color=red"]);
  let entries = await managedFields(admin, "configmap/settings");
  assert.deepEqual(
    entries.map((e) => [e.manager, e.operation, e.apiVersion]),
    [["kubectl-create", "Update", "v1"]],
  );
  assert.deepEqual(entries[0].fieldsV1, { "f:data": { ".": {}, "f:color": {} } });

  await ok(admin, ["label", "configmap", "settings", "team=storage"]);
  entries = await managedFields(admin, "configmap/settings");
  const label = entries.find((e) => e.manager === "kubectl-label");
  assert.deepEqual(label?.fieldsV1, { "f:metadata": { "f:labels": { ".": {}, "f:team": {} } } });

  const refused = await admin(["apply", "--server-side", "-f", "-"], configMap({ color: "blue" }));
  assert.match(refused.stderr, /Apply failed with 1 conflict: conflict with "kubectl-create" using v1: \.data\.color/);
});

test("kubectl apply --server-side --subresource=status applies status alone, as its own manager entry", async (t) => {
  const { admin } = await startSecuredApiServer(t);
  const claim = {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name: "data" },
    spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
  };
  await ok(admin, ["apply", "--server-side", "-f", "-"], JSON.stringify(claim));
  const status = { ...claim, status: { phase: "Lost" } };
  await ok(
    admin,
    ["apply", "--server-side", "--subresource=status", "--field-manager=binder", "-f", "-"],
    JSON.stringify(status),
  );
  assert.equal(await ok(admin, ["get", "pvc", "data", "-o", "jsonpath={.status.phase}"]), "Lost");
  const entries = await managedFields(admin, "pvc/data");
  const binder = entries.find((e) => e.manager === "binder");
  assert.equal(binder?.subresource, "status");
  assert.deepEqual(binder?.fieldsV1, { "f:status": { "f:phase": {} } });
  const kubectl = entries.find((e) => e.manager === "kubectl");
  assert.ok(kubectl && !("f:status" in kubectl.fieldsV1), "the main resource's apply does not own status");
});

test("kubectl apply --server-side takes over from client-side apply, as upstream migrates it", async (t) => {
  const { admin } = await startSecuredApiServer(t);
  await ok(admin, ["apply", "-f", "-"], configMap({ color: "red" }));
  let entries = await managedFields(admin, "configmap/settings");
  assert.deepEqual(
    entries.map((e) => [e.manager, e.operation]),
    [["kubectl-client-side-apply", "Update"]],
  );

  // the changed value was client-side apply's, as last applied: no conflict
  const out = await ok(admin, ["apply", "--server-side", "-f", "-"], configMap({ color: "blue" }));
  assert.match(out, /configmap\/settings serverside-applied/);
  assert.equal(await ok(admin, ["get", "configmap/settings", "-o", "jsonpath={.data.color}"]), "blue");
  entries = await managedFields(admin, "configmap/settings");
  // kubectl moved client-side apply's fields to its own Apply entry (and owns the annotation as
  // kubectl-last-applied), then applied again
  assert.deepEqual(entries.map((e) => [e.manager, e.operation]).sort(), [
    ["kubectl", "Apply"],
    ["kubectl-last-applied", "Apply"],
  ]);
  assert.deepEqual(entries.find((e) => e.manager === "kubectl")?.fieldsV1, { "f:data": { "f:color": {} } });
  const annotation = await ok(admin, [
    "get",
    "configmap/settings",
    "-o",
    "jsonpath={.metadata.annotations.kubectl\\.kubernetes\\.io/last-applied-configuration}",
  ]);
  assert.match(annotation, /"color":"blue"/, "the last-applied annotation follows server-side apply");
});
