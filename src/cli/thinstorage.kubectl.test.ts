// The seeds' snapshot walkthrough at its tutorial sizes on `stowage up`'s default class: a 100Gi claim, snapshotted
// and restored into a second 100Gi claim. up's hostpath drivers are thin, as kind's and k3s's default classes are,
// so both bind and mount on a machine with far less disk; capacity is neither tracked nor reported.
import assert from "node:assert/strict";
import { test } from "node:test";
import { startUpWorld } from "../e2e/upworld.js";
import type { Stowage } from "../e2e/stowage.js";

const claim = (name: string, dataSource = "") => `
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: ${name}
spec:
  accessModes: [ReadWriteOnce]
  resources:
    requests:
      storage: 100Gi${dataSource}
`;

const pod = (name: string, claimName: string) => `
apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  containers:
    - name: app
      image: busybox
      volumeMounts: [{ name: data, mountPath: /data }]
  volumes:
    - name: data
      persistentVolumeClaim: { claimName: ${claimName} }
`;

async function apply(s: Stowage, manifest: string): Promise<void> {
  const result = await s.kubectlResult(["apply", "-f", "-"], { input: manifest });
  assert.equal(result.code, 0, result.stderr);
}

test("the snapshot walkthrough's two 100Gi claims bind and mount on up's default class, with no capacity tracked", async (t) => {
  assert.equal(process.getuid?.(), 0, "this test needs root for real bind mounts");
  const { s } = await startUpWorld(t, "stowage-thin-");
  await apply(s, claim("data"));
  await apply(s, pod("writer", "data"));
  await s.kubectl("wait", "pod/writer", "--for=condition=Ready", "--timeout=30s");
  await apply(
    s,
    `
apiVersion: snapshot.storage.k8s.io/v1
kind: VolumeSnapshot
metadata:
  name: snap
spec:
  source:
    persistentVolumeClaimName: data
`,
  );
  await s.kubectl("wait", "volumesnapshot/snap", "--for=jsonpath={.status.readyToUse}=true", "--timeout=30s");
  assert.equal(await s.kubectl("get", "volumesnapshot", "snap", "-o", "jsonpath={.status.restoreSize}"), "100Gi");

  await apply(
    s,
    claim(
      "restored",
      `
  dataSource:
    apiGroup: snapshot.storage.k8s.io
    kind: VolumeSnapshot
    name: snap`,
    ),
  );
  await apply(s, pod("reader", "restored"));
  await s.kubectl("wait", "pod/reader", "--for=condition=Ready", "--timeout=30s");
  assert.match(await s.kubectl("get", "pvc"), /^data\s+Bound\s+\S+\s+100Gi\s+RWO\s+standard\s/m);
  assert.match(await s.kubectl("get", "pvc"), /^restored\s+Bound\s+\S+\s+100Gi\s+RWO\s+standard\s/m);
  assert.equal(await s.kubectl("get", "csistoragecapacities", "-A", "-o", "name"), "");
  assert.equal(
    await s.kubectl("get", "csidriver", "hostpath.csi.stowage.dev", "-o", "jsonpath={.spec.storageCapacity}"),
    "false",
  );
});
