// Namespace, Node, ConfigMap, Secret and Event: one row per upstream rule, and their `kubectl get` rows.
import assert from "node:assert/strict";
import test from "node:test";
import { fieldErrorMessage } from "../field.js";
import { configMaps } from "./configmap.js";
import { secrets } from "./secret.js";
import { events } from "./event.js";
import { namespaces } from "./namespace.js";
import { nodes } from "./node.js";
import type { ConfigMap, Event, Namespace, Node, Secret } from "./types.js";

const now = new Date("2026-01-01T01:00:00Z");
const created = "2026-01-01T00:00:00Z";

test("a namespace is Active, labelled with its name and held by the kubernetes finalizer", () => {
  const ns: Namespace = {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: "team-a", creationTimestamp: created },
  };
  namespaces.applyDefaults(ns);
  namespaces.prepareForCreate!(ns);
  assert.equal(ns.status?.phase, "Active");
  assert.equal(ns.metadata.labels?.["kubernetes.io/metadata.name"], "team-a");
  assert.deepEqual(ns.spec?.finalizers, ["kubernetes"]);
  assert.deepEqual(namespaces.validateCreate(ns), []);
  assert.deepEqual(namespaces.table.row(ns, now), ["team-a", "Active", "60m"]);
});

test("namespace names are DNS-1123 labels (no dots)", () => {
  const ns: Namespace = { apiVersion: "v1", kind: "Namespace", metadata: { name: "team.a" } };
  assert.deepEqual(namespaces.validateCreate(ns).map(fieldErrorMessage), [
    'metadata.name: Invalid value: "team.a": must not contain dots',
  ]);
});

test("a generateName may end with a dash", () => {
  const ns: Namespace = {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { generateName: "test-", name: "test-abcde" },
  };
  assert.deepEqual(namespaces.validateCreate(ns), []);
});

test("labels and annotations keys follow upstream's qualified-name rule", () => {
  const ns: Namespace = {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: "x", labels: { "bad key": "v", ok: "bad value!" }, annotations: { "a/b/c": "x" } },
  };
  assert.deepEqual(namespaces.validateCreate(ns).map(fieldErrorMessage), [
    `metadata.labels: Invalid value: "bad key": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
    `metadata.labels: Invalid value: "bad value!": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
    `metadata.annotations: Invalid value: "a/b/c": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
  ]);
});

test("finalizers without a domain must be standard", () => {
  const ns: Namespace = { apiVersion: "v1", kind: "Namespace", metadata: { name: "x", finalizers: ["mine"] } };
  assert.deepEqual(namespaces.validateCreate(ns).map(fieldErrorMessage), [
    'metadata.finalizers[0]: Invalid value: "mine": name is neither a standard finalizer name nor is it fully qualified',
  ]);
});

test("names and namespaces are immutable", () => {
  const old: Namespace = { apiVersion: "v1", kind: "Namespace", metadata: { name: "x", uid: "1" } };
  const next: Namespace = { apiVersion: "v1", kind: "Namespace", metadata: { name: "x", uid: "2" } };
  assert.deepEqual(namespaces.validateUpdate(next, old).map(fieldErrorMessage), [
    'metadata.uid: Invalid value: "2": field is immutable',
  ]);
});

test("kubectl get nodes: Ready, roles and version", () => {
  const node: Node = {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name: "node-1", creationTimestamp: created, labels: { "node-role.kubernetes.io/control-plane": "" } },
    spec: { unschedulable: true },
    status: {
      conditions: [{ type: "Ready", status: "True" }],
      nodeInfo: { kubeletVersion: "v1.32.0" } as never,
      addresses: [{ type: "InternalIP", address: "10.0.0.1" }],
      capacity: { storage: "10Gi" },
    },
  };
  nodes.applyDefaults(node);
  assert.deepEqual(node.status?.allocatable, { storage: "10Gi" });
  assert.deepEqual(nodes.validateCreate(node), []);
  assert.deepEqual(nodes.table.row(node, now), [
    "node-1",
    "Ready,SchedulingDisabled",
    "control-plane",
    "60m",
    "v1.32.0",
    "10.0.0.1",
    "<none>",
    "<unknown>",
    "<unknown>",
    "<unknown>",
  ]);
  const bare: Node = { apiVersion: "v1", kind: "Node", metadata: { name: "n" } };
  assert.equal(nodes.table.row(bare, now)[1], "Unknown");
});

test("ConfigMap keys follow upstream's config-key rule and DATA counts both maps", () => {
  const cm: ConfigMap = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "settings", namespace: "default", creationTimestamp: created },
    data: { "app.conf": "x", "bad key": "y" },
    binaryData: { blob: "AAAA" },
  };
  assert.deepEqual(configMaps.validateCreate(cm).map(fieldErrorMessage), [
    `data[bad key]: Invalid value: "bad key": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`,
  ]);
  assert.deepEqual(configMaps.table.row(cm, now), ["settings", 3, "60m"]);
});

test("an immutable ConfigMap keeps its data", () => {
  const old: ConfigMap = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "c", namespace: "d" },
    immutable: true,
    data: { a: "1" },
  };
  const next = structuredClone(old);
  next.data = { a: "2" };
  assert.deepEqual(configMaps.validateUpdate(next, old).map(fieldErrorMessage), [
    "data: Forbidden: field is immutable when `immutable` is set",
  ]);
});

test("Secret: type defaults to Opaque, stringData is folded into data, TLS secrets need their keys", () => {
  const secret: Secret = {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "creds", namespace: "default", creationTimestamp: created },
    stringData: { password: "hunter2" },
  };
  secrets.applyDefaults(secret);
  assert.equal(secret.type, "Opaque");
  assert.equal(secret.data?.password, Buffer.from("hunter2").toString("base64"));
  assert.equal(secret.stringData, undefined);
  assert.deepEqual(secrets.table.row(secret, now), ["creds", "Opaque", 1, "60m"]);
  const tls: Secret = {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "t", namespace: "default" },
    type: "kubernetes.io/tls",
    data: {},
  };
  assert.deepEqual(secrets.validateCreate(tls).map(fieldErrorMessage), [
    "data[tls.key]: Required value",
    "data[tls.crt]: Required value",
  ]);
});

test("a Secret's type is immutable", () => {
  const old: Secret = { apiVersion: "v1", kind: "Secret", metadata: { name: "s", namespace: "d" }, type: "Opaque" };
  const next = { ...structuredClone(old), type: "other" };
  assert.deepEqual(secrets.validateUpdate(next, old).map(fieldErrorMessage), [
    'type: Invalid value: "other": field is immutable',
  ]);
});

function event(fields: Partial<Event> = {}): Event {
  return {
    apiVersion: "v1",
    kind: "Event",
    metadata: { name: "data.17a", namespace: "default" },
    involvedObject: { kind: "PersistentVolumeClaim", namespace: "default", name: "data", uid: "u1" },
    reason: "ProvisioningSucceeded",
    message: "Successfully provisioned volume pvc-1 ",
    type: "Normal",
    source: { component: "persistentvolume-controller" },
    firstTimestamp: "2026-01-01T00:58:00Z",
    lastTimestamp: "2026-01-01T00:59:00Z",
    count: 2,
    ...fields,
  };
}

test("an Event's namespace must match its object's", () => {
  assert.deepEqual(events.validateCreate(event()), []);
  const wrong = event({ involvedObject: { kind: "Pod", namespace: "other", name: "p" } });
  assert.deepEqual(events.validateCreate(wrong).map(fieldErrorMessage), [
    'involvedObject.namespace: Invalid value: "other": does not match event.namespace',
  ]);
});

test("a new-style Event (eventTime) needs reportingComponent, reportingInstance, action and reason", () => {
  const e = event({ eventTime: "2026-01-01T00:00:00.000000Z", reason: "" });
  // upstream also runs the qualified-name check on the empty component, hence its two extra messages
  assert.deepEqual(events.validateCreate(e).map(fieldErrorMessage), [
    "reportingComponent: Required value",
    'reportingComponent: Invalid value: "": name part must be non-empty',
    `reportingComponent: Invalid value: "": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
    "reportingInstance: Required value",
    "action: Required value",
    "reason: Required value",
  ]);
});

test("kubectl get events: LAST SEEN TYPE REASON OBJECT MESSAGE (+ wide)", () => {
  assert.deepEqual(
    events.table.columns.filter((c) => c.priority === 0).map((c) => c.name.toUpperCase()),
    ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"],
  );
  assert.deepEqual(events.table.row(event(), now), [
    "60s",
    "Normal",
    "ProvisioningSucceeded",
    "persistentvolumeclaim/data",
    "",
    "persistentvolume-controller",
    "Successfully provisioned volume pvc-1",
    "2m",
    2,
    "data.17a",
  ]);
  const fields = events.selectableFields!(event());
  assert.equal(fields["involvedObject.name"], "data");
  assert.equal(fields["involvedObject.kind"], "PersistentVolumeClaim");
  assert.equal(fields.source, "persistentvolume-controller");
});
