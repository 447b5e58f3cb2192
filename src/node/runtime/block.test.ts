// A raw block claim (volumeMode: Block) under runtime "process": the block driver's device is bound at the
// container's volumeDevices[].devicePath, bytes written to it there are on the volume, and a later pod reads them.
import assert from "node:assert/strict";
import { test } from "node:test";
import { blockUnavailableReason } from "../../e2e/parts.js";
import { startProcessStowage } from "../../e2e/processruntime.js";

const claim = `
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: raw}
spec:
  accessModes: [ReadWriteOnce]
  volumeMode: Block
  storageClassName: block
  resources: {requests: {storage: 16Mi}}
`;

const pod = (name: string, script: string) => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  restartPolicy: Never
  containers:
    - name: main
      image: busybox
      command: [sh, -c, '${script}']
      volumeDevices: [{name: raw, devicePath: /dev/xvda}]
  volumes: [{name: raw, persistentVolumeClaim: {claimName: raw}}]
`;

test("a block claim's device appears at devicePath and keeps what a container wrote to it", async (t) => {
  const unavailable = await blockUnavailableReason();
  if (unavailable) return t.skip(`block driver unavailable: ${unavailable}`);
  const stowage = await startProcessStowage(t);
  await stowage.apply(claim);
  await stowage.apply(
    pod(
      "writer",
      "test -b /dev/xvda && echo block-device; printf stowage-raw | dd of=/dev/xvda bs=512 seek=1 conv=notrunc 2>/dev/null; sync",
    ),
  );
  await stowage.waitForPhase("writer", "Succeeded", 60);
  assert.equal(await stowage.kubectl("logs", "writer"), "block-device\n");
  await stowage.kubectl("delete", "pod", "writer", "--timeout=30s");

  await stowage.apply(pod("reader", "dd if=/dev/xvda bs=512 skip=1 count=1 2>/dev/null | head -c 11; echo"));
  await stowage.waitForPhase("reader", "Succeeded", 60);
  assert.equal(await stowage.kubectl("logs", "reader"), "stowage-raw\n");
  await stowage.kubectl("delete", "pod", "reader", "--timeout=30s");
});
