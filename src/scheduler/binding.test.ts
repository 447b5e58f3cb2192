// No silent waits in the binding cycle: a pod whose node is chosen but whose claims are not yet provisioned there
// says so in an event, where upstream's scheduler waits in PreBind without a word for up to ten minutes.
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { controllerManagerComponent, schedulerComponent } from "../e2e/parts.js";
import { eventually, startStowage } from "../e2e/stowage.js";
import { volumeWaitMessage } from "./binding.js";

const nodes = join(dirname(fileURLToPath(import.meta.url)), "testdata", "nodes.yaml");

const manifest = `
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: { name: ghost }
provisioner: ghost.csi.example.com
volumeBindingMode: WaitForFirstConsumer
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: { name: data }
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: ghost
  resources: { requests: { storage: 1Gi } }
---
apiVersion: v1
kind: Pod
metadata: { name: app }
spec:
  containers: [{ name: app, image: busybox }]
  volumes: [{ name: data, persistentVolumeClaim: { claimName: data } }]
`;

test("a pod waiting for its claim to be provisioned on its chosen node says so in a WaitForVolumeBinding event", async (t) => {
  const stowage = await startStowage(t, {
    store: "memory",
    components: [controllerManagerComponent, schedulerComponent],
  });
  await stowage.kubectl("apply", "-f", nodes);
  const applied = await stowage.kubectlResult(["apply", "-f", "-"], { input: manifest });
  assert.equal(applied.code, 0, applied.stderr);
  const event = await eventually(async () => {
    const out = await stowage.kubectl(
      "get",
      "events",
      "--field-selector",
      "involvedObject.name=app,reason=WaitForVolumeBinding",
      "-o",
      "jsonpath={.items[0].type}|{.items[0].message}",
    );
    return out.includes("|waiting") ? out : undefined;
  }, 30_000);
  const node = await stowage.kubectl(
    "get",
    "pvc",
    "data",
    "-o",
    "jsonpath={.metadata.annotations.volume\\.kubernetes\\.io/selected-node}",
  );
  assert.match(node, /^node-[123]$/);
  assert.equal(
    event,
    `Normal|waiting on node ${node} for persistentvolumeclaim "data" to be provisioned by ghost.csi.example.com (see the claim's events)`,
  );
});

test("the message names every claim the pod waits for and on whom", () => {
  const claim = (name: string, provisioner?: string) => ({
    apiVersion: "v1" as const,
    kind: "PersistentVolumeClaim" as const,
    metadata: {
      name,
      ...(provisioner ? { annotations: { "volume.kubernetes.io/storage-provisioner": provisioner } } : {}),
    },
    spec: {},
  });
  assert.equal(
    volumeWaitMessage("node-1", [claim("a", "hostpath.csi.stowage.dev"), claim("b")]),
    'waiting on node node-1 for persistentvolumeclaim "a" to be provisioned by hostpath.csi.stowage.dev, persistentvolumeclaim "b" to be bound (see the claim\'s events)',
  );
});
