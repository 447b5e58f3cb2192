// A container's environment and command line as the kubelet builds them: one row per rule a reader can check
// against upstream (kubelet_pods.go makeEnvironmentVariables, third_party/forked/golang/expansion).
import assert from "node:assert/strict";
import { test } from "node:test";
import type { ConfigMap, Container, Pod, Secret } from "../../api/core/types.js";
import type { Lister } from "../../client/index.js";
import { containerArgv, containerEnv, ContainerConfigError, expand } from "./process-env.js";

function lister<T extends ConfigMap | Secret>(items: T[]): Lister<T> {
  const byKey = new Map(items.map((i) => [`${i.metadata.namespace}/${i.metadata.name}`, i]));
  return { get: (key) => byKey.get(key), list: () => items, byIndex: () => [], keys: () => [...byKey.keys()] };
}
const configMap: ConfigMap = {
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name: "settings", namespace: "shop" },
  data: { mode: "fast", level: "3" },
};
const secret: Secret = {
  apiVersion: "v1",
  kind: "Secret",
  metadata: { name: "creds", namespace: "shop" },
  data: { password: Buffer.from("s3cret").toString("base64") },
};
const sources = { configMaps: lister([configMap]), secrets: lister([secret]), hostIP: "10.0.0.7" };
const pod: Pod = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "web-0", namespace: "shop", uid: "u-1", labels: { app: "web" } },
  spec: { nodeName: "node-a", containers: [] },
};
const env = (container: Partial<Container>) => containerEnv(pod, { name: "c", ...container }, sources);

test("$(VAR) expands known names, keeps unknown ones, and $$ escapes", () => {
  assert.equal(expand("$(A)-$(B)-$$(A)-$$", { A: "x" }), "x-$(B)-$(A)-$");
});

test("env values expand against variables defined before them, not after", () => {
  const e = env({
    env: [
      { name: "A", value: "1" },
      { name: "B", value: "$(A)$(C)" },
      { name: "C", value: "3" },
    ],
  });
  assert.equal(e.B, "1$(C)");
});

test("fieldRef reads the pod's name, namespace, labels, node and host IP", () => {
  const e = env({
    env: [
      { name: "NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
      { name: "NS", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
      { name: "APP", valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
      { name: "NODE", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } },
      { name: "HOST", valueFrom: { fieldRef: { fieldPath: "status.hostIP" } } },
    ],
  });
  assert.deepEqual([e.NAME, e.NS, e.APP, e.NODE, e.HOST], ["web-0", "shop", "web", "node-a", "10.0.0.7"]);
});

test("configMap and secret keys, envFrom with a prefix, then env overriding it", () => {
  const e = env({
    envFrom: [{ configMapRef: { name: "settings" }, prefix: "CFG_" }],
    env: [
      { name: "CFG_MODE", value: "slow" },
      { name: "PASSWORD", valueFrom: { secretKeyRef: { name: "creds", key: "password" } } },
      { name: "LEVEL", valueFrom: { configMapKeyRef: { name: "settings", key: "level" } } },
    ],
  });
  assert.deepEqual([e.CFG_mode, e.CFG_level, e.CFG_MODE, e.PASSWORD, e.LEVEL], ["fast", "3", "slow", "s3cret", "3"]);
});

const refusals: { name: string; container: Partial<Container>; message: string }[] = [
  {
    name: "a missing configMap",
    container: { env: [{ name: "X", valueFrom: { configMapKeyRef: { name: "nope", key: "k" } } }] },
    message: 'configmap "nope" not found',
  },
  {
    name: "a missing key",
    container: { env: [{ name: "X", valueFrom: { configMapKeyRef: { name: "settings", key: "k" } } }] },
    message: "couldn't find key k in ConfigMap shop/settings",
  },
  {
    name: "a missing secret in envFrom",
    container: { envFrom: [{ secretRef: { name: "nope" } }] },
    message: 'secret "nope" not found',
  },
];
for (const r of refusals) {
  test(`${r.name} stops the container with upstream's message, unless optional`, () => {
    assert.throws(
      () => env(r.container),
      (err: unknown) => err instanceof ContainerConfigError && err.message === r.message,
    );
  });
}

test("optional sources that are missing are skipped", () => {
  const e = env({
    envFrom: [{ secretRef: { name: "nope", optional: true } }],
    env: [{ name: "X", valueFrom: { configMapKeyRef: { name: "settings", key: "k", optional: true } } }],
  });
  assert.equal(e.X, undefined);
});

test("command and args expand $(VAR); with neither the container idles", () => {
  assert.deepEqual(containerArgv({ name: "c", command: ["echo", "$(A)"], args: ["$(B)"] }, { A: "a" }), [
    "echo",
    "a",
    "$(B)",
  ]);
  assert.deepEqual(containerArgv({ name: "c", args: ["server", "--port=80"] }, {}), ["server", "--port=80"]);
  assert.deepEqual(containerArgv({ name: "c" }, {}), ["sleep", "infinity"]);
});
