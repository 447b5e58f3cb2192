// The ServiceAccount admission plugin as a user meets it through the API: a new pod runs as its namespace's
// "default" ServiceAccount unless it names one (or names one in the deprecated spec.serviceAccount); mirror pods are
// left alone; a pod is not refused because its ServiceAccount does not exist (yet).
import assert from "node:assert/strict";
import { test } from "node:test";
import { MemoryStore } from "../../store/memory.js";
import { createApiServer } from "../server.js";
import { call } from "../testing/request.js";

const pod = (name: string, spec: Record<string, unknown> = {}, annotations?: Record<string, string>) => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, ...(annotations ? { annotations } : {}) },
  spec: { containers: [{ name: "c", image: "busybox" }], ...spec },
});

const cases = [
  { name: "a pod naming no ServiceAccount runs as default", pod: pod("plain"), want: ["default", "default"] },
  {
    name: "a pod naming one keeps it, even one that does not exist",
    pod: pod("named", { serviceAccountName: "builder" }),
    want: ["builder", "builder"],
  },
  {
    name: "the deprecated spec.serviceAccount names it when serviceAccountName is empty",
    pod: pod("old", { serviceAccount: "legacy" }),
    want: ["legacy", "legacy"],
  },
  {
    name: "a mirror pod is left alone",
    pod: pod("mirror", {}, { "kubernetes.io/config.mirror": "hash" }),
    want: [undefined, undefined],
  },
];

test("ServiceAccount admission fills in the pod's ServiceAccount as upstream", async (t) => {
  const store = new MemoryStore();
  const server = await createApiServer({ store, compactionIntervalMs: 0, log: () => undefined });
  t.after(async () => {
    await server.close();
    await store.close();
  });
  for (const c of cases) {
    const created = await call(server.handler, "POST", "/api/v1/namespaces/default/pods", c.pod);
    assert.equal(created.status, 201, `${c.name}: ${created.text}`);
    assert.deepEqual([created.body.spec.serviceAccountName, created.body.spec.serviceAccount], c.want, c.name);
  }
});
