// A failed expansion and its recovery (RecoverVolumeExpansionFailure), with everything `stowage up` runs: asking the
// hostpath driver for more than one volume may be (1Ti: up's drivers are thin) → VolumeResizeFailed event with the driver's message, the claim marked
// ControllerResizeError / ControllerResizeInfeasible and its capacity unchanged; lowering the request to a size the
// driver can give (still above the old capacity) → the claim ends at that size.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { PersistentVolume, PersistentVolumeClaim } from "../../../api/core/types.js";
import { eventually, startStowage, type Stowage } from "../../../e2e/stowage.js";
import { unmountUnder } from "../../../e2e/mounts.js";
import { defaultUpComponents } from "../../../e2e/parts.js";

const manifests = `
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: data
spec:
  accessModes: [ReadWriteOnce]
  resources:
    requests:
      storage: 64Mi
---
apiVersion: v1
kind: Pod
metadata:
  name: app
spec:
  containers:
    - name: app
      image: busybox
      volumeMounts:
        - { name: data, mountPath: /data }
  volumes:
    - name: data
      persistentVolumeClaim: { claimName: data }
`;

async function getJson<T>(s: Stowage, ...args: string[]): Promise<T> {
  return JSON.parse(await s.kubectl("get", ...args, "-o", "json")) as T;
}

const resize = (s: Stowage, size: string) =>
  s.kubectl("patch", "pvc", "data", "-p", JSON.stringify({ spec: { resources: { requests: { storage: size } } } }));

test("an expansion the driver refuses: VolumeResizeFailed with its message, ControllerResizeInfeasible; lowering the request recovers", async (t) => {
  assert.equal(process.getuid?.(), 0, "this test needs root for real bind mounts");
  const dataDir = await mkdtemp(join(tmpdir(), "stowage-resizer-recovery-"));
  const started: Stowage[] = [];
  t.after(async () => {
    for (const s of started) await s.stop();
    await unmountUnder(dataDir);
    await rm(dataDir, { recursive: true, force: true });
  });
  const stowage = await startStowage(t, { dataDir, components: defaultUpComponents() });
  started.push(stowage);
  const applied = await stowage.kubectlResult(["apply", "-f", "-"], { input: manifests });
  assert.equal(applied.code, 0, applied.stderr);
  await stowage.kubectl("wait", "pod/app", "--for=condition=Ready", "--timeout=30s");
  const pvName = (await getJson<PersistentVolumeClaim>(stowage, "pvc", "data")).spec.volumeName ?? "";

  await resize(stowage, "1Pi");
  const failed = await eventually(async () => {
    const out = await stowage.kubectl(
      "get",
      "events",
      "--field-selector",
      "involvedObject.name=data,reason=VolumeResizeFailed",
      "-o",
      "jsonpath={.items[*].type} {.items[*].message}",
    );
    return out.trim() === "" ? undefined : out;
  }, 20_000);
  assert.match(
    failed,
    new RegExp(
      `^Warning resize volume "${pvName}" by resizer "hostpath.csi.stowage.dev" failed: rpc error: code = OutOfRange desc = requested capacity ${2 ** 50} exceeds maximum allowed ${2 ** 40}`,
    ),
  );
  const stuck = await eventually(async () => {
    const claim = await getJson<PersistentVolumeClaim>(stowage, "pvc", "data");
    return claim.status?.allocatedResourceStatuses?.storage === "ControllerResizeInfeasible" ? claim : undefined;
  });
  assert.equal(stuck.status?.capacity?.storage, "64Mi");
  assert.equal(stuck.status?.allocatedResources?.storage, "1Pi");
  const error = stuck.status?.conditions?.find((c) => c.type === "ControllerResizeError");
  assert.equal(error?.status, "True");
  assert.match(error?.message ?? "", /exceeds maximum allowed/);
  assert.equal((await getJson<PersistentVolume>(stowage, "pv", pvName)).spec.capacity?.storage, "64Mi");

  // Recovery: a smaller request, still above the old capacity, is accepted by admission and carried out.
  await resize(stowage, "96Mi");
  const recovered = await eventually(async () => {
    const claim = await getJson<PersistentVolumeClaim>(stowage, "pvc", "data");
    return claim.status?.capacity?.storage === "96Mi" ? claim : undefined;
  }, 20_000);
  assert.equal(recovered.status?.allocatedResources?.storage, "96Mi");
  assert.equal(recovered.status?.allocatedResourceStatuses?.storage, undefined);
  assert.deepEqual(recovered.status?.conditions ?? [], []);
  assert.equal((await getJson<PersistentVolume>(stowage, "pv", pvName)).spec.capacity?.storage, "96Mi");
});
