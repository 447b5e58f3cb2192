// A stowage under runtime process with namespace `shop` (claim `orders`), a default BackupStorageLocation `local`
// on a fresh restic repository, and the means to look into that repository as restic itself would: the world of
// the backup retention and verb tests.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { TestContext } from "node:test";
import { startProcessStowage } from "./processruntime.js";
import { runStowage } from "./agentprocess.js";
import { createLocalBackupLocation } from "./backuplocation.js";

const password = "correct horse battery staple";

/** Namespace `shop` with the 16Mi claim `orders` every backup test backs up. */
export const shopWithClaim = `
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: orders, namespace: shop}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 16Mi}}
`;

/** A pod on the claim running `script`; its log is the script's output. */
const pod = (name: string, script: string) => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: shop}
spec:
  restartPolicy: Never
  containers:
    - name: main
      image: busybox
      command: [sh, -c, '${script}']
      volumeMounts: [{name: data, mountPath: /data}]
  volumes: [{name: data, persistentVolumeClaim: {claimName: orders}}]
`;

/** Prints the checksums of what the writer wrote: equal output, byte-identical files. */
export const sumsScript = "cd / && sha256sum /data/orders.bin /data/note";

export async function startBackupWorld(t: TestContext) {
  const dir = await mkdtemp(join(tmpdir(), "stowage-backup-world-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const s = await startProcessStowage(t);
  const connect = ["--kubeconfig", s.kubeconfig];
  const repo = join(dir, "repo");
  const restic = async (...args: string[]) =>
    (
      await promisify(execFile)("restic", ["--no-cache", ...args], {
        env: { ...process.env, RESTIC_REPOSITORY: repo, RESTIC_PASSWORD: password },
      })
    ).stdout;
  /** Runs a pod on the claim to its end; returns its log. */
  const run = async (name: string, script: string) => {
    await s.apply(pod(name, script));
    await s.kubectl("wait", "-n", "shop", `pod/${name}`, "--for=jsonpath={.status.phase}=Succeeded", "--timeout=60s");
    const log = await s.kubectl("logs", "-n", "shop", name);
    await s.kubectl("delete", "-n", "shop", `pod/${name}`, "--timeout=30s");
    return log;
  };
  await s.apply(shopWithClaim);
  const sums = await run(
    "writer",
    `head -c 1048576 /dev/urandom > /data/orders.bin && echo first > /data/note && ${sumsScript}`,
  );
  await createLocalBackupLocation(dir, s.kubeconfig, password);
  return {
    s,
    /** `stowage <args>` against this world. */
    stowage: (...args: string[]) => runStowage([...args, ...connect]),
    run,
    /** The writer's checksums of orders.bin and note. */
    sums,
    /** How many restic snapshots a backup has in the repository. */
    snapshotsOf: async (backup: string) =>
      (JSON.parse(await restic("snapshots", "--json", "--tag", `backup=${backup}`)) as unknown[]).length,
    /** The repository's stored bytes (restic stats --mode raw-data). */
    rawBytes: async () =>
      (JSON.parse(await restic("stats", "--json", "--mode", "raw-data")) as { total_size: number }).total_size,
    /** Until `kubectl get backup NAME` says NotFound. */
    gone: async (backup: string) => {
      for (const deadline = Date.now() + 90_000; Date.now() < deadline;) {
        const left = await s.kubectlResult(["get", "backup", backup, "-n", "stowage-backup"]);
        if (left.code !== 0 && /NotFound/.test(left.stderr)) return;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      assert.fail(`backup ${backup} still there after 90 s`);
    },
  };
}
