// What a pod makes the agent watch: each configMap and secret it names where the agent reads them, in its namespace.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Pod } from "../../api/core/types.js";
import { podObjectKeys } from "./podrefs.js";

const pod = (spec: Partial<Pod["spec"]>): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "app", namespace: "team" },
  spec: { containers: [{ name: "app", image: "busybox" }], ...spec },
});

const cases: { name: string; pod: Pod; configMaps: string[]; secrets: string[] }[] = [
  { name: "a pod naming nothing needs nothing watched", pod: pod({}), configMaps: [], secrets: [] },
  {
    name: "configMap, secret and projected volumes",
    pod: pod({
      volumes: [
        { name: "a", configMap: { name: "conf" } },
        { name: "b", secret: { secretName: "creds" } },
        { name: "c", projected: { sources: [{ configMap: { name: "more" } }, { secret: { name: "tls" } }] } },
        { name: "d", emptyDir: {} },
      ],
    }),
    configMaps: ["team/conf", "team/more"],
    secrets: ["team/creds", "team/tls"],
  },
  {
    name: "env and envFrom of containers and init containers, each object once",
    pod: pod({
      initContainers: [{ name: "init", image: "busybox", envFrom: [{ secretRef: { name: "creds" } }] }],
      containers: [
        {
          name: "app",
          image: "busybox",
          envFrom: [{ configMapRef: { name: "conf" } }],
          env: [
            { name: "A", valueFrom: { configMapKeyRef: { name: "conf", key: "a" } } },
            { name: "B", valueFrom: { secretKeyRef: { name: "password", key: "pw" } } },
          ],
        },
      ],
    }),
    configMaps: ["team/conf"],
    secrets: ["team/creds", "team/password"],
  },
  {
    name: "an inline csi volume's nodePublishSecretRef",
    pod: pod({ volumes: [{ name: "a", csi: { driver: "d.example.com", nodePublishSecretRef: { name: "publish" } } }] }),
    configMaps: [],
    secrets: ["team/publish"],
  },
];

for (const c of cases) {
  test(c.name, () => assert.deepEqual(podObjectKeys(c.pod), { configMaps: c.configMaps, secrets: c.secrets }));
}
