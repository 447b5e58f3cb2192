// `up --hostpath-reclaim-root DIR`: the operator widens where a Delete reclaim may remove hostPath volumes (upstream's
// default allows only /tmp/…). A volume under DIR is removed with its PV; one elsewhere outside /tmp is refused.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { controllerManagerComponent } from "../e2e/parts.js";
import { eventually, startStowage } from "../e2e/stowage.js";

const volumeAndClaim = (name: string, path: string) => `
apiVersion: v1
kind: PersistentVolume
metadata: {name: ${name}}
spec:
  capacity: {storage: 1Gi}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Delete
  storageClassName: manual
  hostPath: {path: ${path}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: ${name}}
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: manual
  volumeName: ${name}
  resources: {requests: {storage: 1Gi}}
`;

test("up --hostpath-reclaim-root lets Delete remove hostPath volumes under it, and only there", async (t) => {
  // outside /tmp, so only the flag can allow it
  const base = await mkdtemp(join("/var/tmp", "stowage-reclaim-"));
  t.after(() => rm(base, { recursive: true, force: true }));
  const root = join(base, "allowed");
  const inside = join(root, "vol-a");
  const outside = join(base, "elsewhere", "vol-b");
  await mkdir(inside, { recursive: true });
  await mkdir(outside, { recursive: true });
  const stowage = await startStowage(t, {
    components: [controllerManagerComponent],
    hostPathReclaimRoots: [root],
  });
  const applied = await stowage.kubectlResult(["apply", "-f", "-"], {
    input: volumeAndClaim("a", inside) + "---" + volumeAndClaim("b", outside),
  });
  assert.equal(applied.code, 0, applied.stderr);
  for (const name of ["a", "b"]) {
    await eventually(
      async () =>
        (await stowage.kubectl("get", "pvc", name, "-o", "jsonpath={.status.phase}")) === "Bound" ? true : undefined,
      30_000,
    );
  }
  await stowage.kubectl("delete", "pvc", "a", "b");

  await eventually(async () =>
    (await stowage.kubectlResult(["get", "pv", "a"])).code !== 0 && !existsSync(inside) ? true : undefined,
  );
  const failed = await eventually(async () => {
    const phase = await stowage.kubectl("get", "pv", "b", "-o", "jsonpath={.status.phase}");
    return phase === "Failed" ? phase : undefined;
  });
  assert.equal(failed, "Failed");
  assert.ok(existsSync(outside), "the volume outside the allowed roots is kept");
  const events = await stowage.kubectl("get", "events", "--field-selector", "involvedObject.name=b", "-o", "json");
  assert.match(events, /VolumeFailedDelete/);
});
