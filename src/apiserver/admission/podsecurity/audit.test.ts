// Pod Security's audit mode: stowage keeps no audit log, so the annotations an audit log would record reach the
// apiserver's `audit` hook — audit-violations for a pod breaking the namespace's audit level, and the enforced policy.
import assert from "node:assert/strict";
import { test } from "node:test";
import { MemoryStore } from "../../../store/memory.js";
import type { AuditEvent } from "../../audit.js";
import { createApiServer } from "../../server.js";
import { call } from "../../testing/request.js";

test("a pod breaking the namespace's audit level is admitted, and its audit event carries audit-violations", async (t) => {
  const events: AuditEvent[] = [];
  const server = await createApiServer({
    store: new MemoryStore(),
    audit: (event) => events.push(event),
    log: () => {},
  });
  t.after(() => server.close());
  const namespace = {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: "audited", labels: { "pod-security.kubernetes.io/audit": "baseline" } },
  };
  assert.equal((await call(server.handler, "POST", "/api/v1/namespaces", namespace)).status, 201);
  const pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "rooted" },
    spec: { containers: [{ name: "app", image: "busybox" }], volumes: [{ name: "root", hostPath: { path: "/" } }] },
  };
  const created = await call(server.handler, "POST", "/api/v1/namespaces/audited/pods", pod);
  assert.equal(created.status, 201);
  assert.equal(created.headers.warning, undefined, "audit never warns");
  assert.deepEqual(events, [
    {
      user: undefined,
      method: "POST",
      path: "/api/v1/namespaces/audited/pods",
      annotations: {
        "pod-security.kubernetes.io/enforce-policy": "privileged:latest",
        "pod-security.kubernetes.io/audit-violations":
          'would violate PodSecurity "baseline:latest": hostPath volumes (volume "root")',
      },
    },
  ]);
});

test("a StatefulSet whose template breaks an enforced level is let in with a warning, as upstream treats pod controllers", async (t) => {
  const server = await createApiServer({ store: new MemoryStore(), log: () => {} });
  t.after(() => server.close());
  const labels = { "pod-security.kubernetes.io/enforce": "baseline", "pod-security.kubernetes.io/warn": "baseline" };
  const namespace = { apiVersion: "v1", kind: "Namespace", metadata: { name: "guarded", labels } };
  assert.equal((await call(server.handler, "POST", "/api/v1/namespaces", namespace)).status, 201);
  const statefulSet = {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name: "db" },
    spec: {
      serviceName: "db",
      selector: { matchLabels: { app: "db" } },
      template: {
        metadata: { labels: { app: "db" } },
        spec: { hostNetwork: true, containers: [{ name: "db", image: "postgres" }] },
      },
    },
  };
  const created = await call(server.handler, "POST", "/apis/apps/v1/namespaces/guarded/statefulsets", statefulSet);
  assert.equal(created.status, 201, created.text);
  assert.equal(
    created.headers.warning,
    '299 - "would violate PodSecurity \\"baseline:latest\\": host namespaces (hostNetwork=true)"',
  );
});
