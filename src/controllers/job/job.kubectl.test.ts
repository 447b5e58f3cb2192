// Jobs under `stowage up --runtime process`, driven with the real kubectl: a Job's pod really runs, writes to its
// claim and exits 0, the Job Completes (kubectl's STATUS and COMPLETIONS as upstream) and the pod's mount of the
// claim is released; a pod that exits non-zero is counted against backoffLimit until the Job Fails with
// BackoffLimitExceeded; ttlSecondsAfterFinished deletes a finished Job with its pods.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import type { Job } from "../../api/batch/types.js";
import type { PersistentVolume, PersistentVolumeClaim, Pod } from "../../api/core/types.js";
import { isMountPoint } from "../../e2e/mounts.js";
import { nodeName } from "../../e2e/parts.js";
import { eventually, startProcessStowage, type ProcessStowage } from "../../e2e/processruntime.js";

const claim = `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: backups}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
`;

const job = (name: string, command: string, extra = "") => `apiVersion: batch/v1
kind: Job
metadata: {name: ${name}}
spec:
${extra}  template:
    spec:
      restartPolicy: Never
      containers:
      - name: main
        image: busybox
        command: [sh, -c, '${command}']
        volumeMounts: [{name: backups, mountPath: /backups}]
      volumes: [{name: backups, persistentVolumeClaim: {claimName: backups}}]
`;

async function getJson<T>(s: ProcessStowage, ...args: string[]): Promise<T> {
  return JSON.parse(await s.kubectl("get", ...args, "-o", "json")) as T;
}

/** The claim's bytes on the node: the hostpath driver's directory for its volume. */
export async function claimDir(s: ProcessStowage, name: string): Promise<string> {
  const bound = await eventually(async () => {
    const pvc = await getJson<PersistentVolumeClaim>(s, "pvc", name);
    return pvc.spec.volumeName || undefined;
  });
  const pv = await getJson<PersistentVolume>(s, "pv", bound);
  return join(s.dataDir, "csi", "hostpath", nodeName(1), "volumes", pv.spec.csi?.volumeHandle ?? "");
}

test("a Job's pod writes to its claim, exits 0 and the Job Completes; the claim's mount is released", async (t) => {
  const s = await startProcessStowage(t);
  await s.apply(claim);
  await s.apply(job("dump", 'echo "dumped by $HOSTNAME" >> /backups/dump.txt'));
  const waited = await s.kubectlResult(["wait", "--for=condition=complete", "job/dump", "--timeout=90s"]);
  assert.equal(waited.code, 0, waited.stderr);
  assert.equal(waited.stdout, "job.batch/dump condition met\n");
  assert.match(
    await s.kubectl("get", "job", "dump"),
    /^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE\ndump\s+Complete\s+1\/1\s+\d+s\s+\S+\n$/,
  );
  const done = await getJson<Job>(s, "job", "dump");
  assert.deepEqual(
    done.status?.conditions?.map((c) => [c.type, c.status, c.reason]),
    [
      ["SuccessCriteriaMet", "True", "CompletionsReached"],
      ["Complete", "True", "CompletionsReached"],
    ],
  );
  const [pod] = (await getJson<{ items: Pod[] }>(s, "pods", "-l", "batch.kubernetes.io/job-name=dump")).items;
  assert.equal(pod.status?.phase, "Succeeded");
  assert.equal(
    await readFile(join(await claimDir(s, "backups"), "dump.txt"), "utf8"),
    `dumped by ${pod.metadata.name}\n`,
  );
  const pvc = await getJson<PersistentVolumeClaim>(s, "pvc", "backups");
  const mount = join(
    s.dataDir,
    "nodes",
    nodeName(1),
    "pods",
    pod.metadata.uid ?? "",
    "volumes",
    "kubernetes.io~csi",
    pvc.spec.volumeName ?? "",
    "mount",
  );
  await eventually(async () => ((await isMountPoint(mount)) ? undefined : true), 30_000);
});

test("a Job whose pods exit non-zero Fails with BackoffLimitExceeded after backoffLimit retries; its TTL then deletes it", async (t) => {
  const s = await startProcessStowage(t);
  await s.apply(claim);
  await s.apply(job("broken", "exit 3", "  backoffLimit: 1\n  ttlSecondsAfterFinished: 2\n"));
  const waited = await s.kubectlResult(["wait", "--for=condition=failed", "job/broken", "--timeout=90s"]);
  assert.equal(waited.code, 0, waited.stderr);
  const failed = await getJson<Job>(s, "job", "broken");
  assert.equal(failed.status?.failed, 2);
  const condition = failed.status?.conditions?.find((c) => c.type === "Failed");
  assert.deepEqual(
    [condition?.reason, condition?.message],
    ["BackoffLimitExceeded", "Job has reached the specified backoff limit"],
  );
  const pods = (await getJson<{ items: Pod[] }>(s, "pods", "-l", "batch.kubernetes.io/job-name=broken")).items;
  assert.deepEqual(
    pods.map((p) => p.status?.phase),
    ["Failed", "Failed"],
  );
  // ttlSecondsAfterFinished: 2 — the Job and its pods go.
  await eventually(async () => {
    const left = await s.kubectlResult(["get", "job", "broken"]);
    const podsLeft = await getJson<{ items: Pod[] }>(s, "pods", "-l", "batch.kubernetes.io/job-name=broken");
    return left.code !== 0 && podsLeft.items.length === 0 ? true : undefined;
  }, 30_000);
});

test("kubectl create job --from=cronjob/… starts the CronJob's Job by hand, even while the CronJob is suspended", async (t) => {
  const s = await startProcessStowage(t);
  await s.apply(claim);
  await s.apply(`apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec:
  schedule: "0 3 * * *"
  suspend: true
  jobTemplate:
    metadata: {labels: {tier: backup}}
    spec:
      backoffLimit: 2
      template:
        spec:
          restartPolicy: OnFailure
          containers:
          - name: dump
            image: busybox
            command: [sh, -c, 'echo "by hand" > /backups/manual.txt']
            env: [{name: MODE, value: manual}]
            resources: {requests: {cpu: 10m, memory: 16Mi}}
            volumeMounts: [{name: backups, mountPath: /backups}]
          volumes: [{name: backups, persistentVolumeClaim: {claimName: backups}}]
`);
  assert.equal(await s.kubectl("create", "job", "--from=cronjob/nightly", "by-hand"), "job.batch/by-hand created\n");
  const created = await getJson<Job>(s, "job", "by-hand");
  assert.equal(created.metadata.annotations?.["cronjob.kubernetes.io/instantiate"], "manual");
  assert.equal(created.metadata.labels?.tier, "backup");
  assert.deepEqual(
    created.metadata.ownerReferences?.map((r) => [r.kind, r.name, r.controller]),
    [["CronJob", "nightly", true]],
  );
  assert.equal(created.spec.backoffLimit, 2);
  const container = created.spec.template.spec.containers[0];
  assert.deepEqual(container.env, [{ name: "MODE", value: "manual" }]);
  assert.deepEqual(container.resources?.requests, { cpu: "10m", memory: "16Mi" });
  const waited = await s.kubectlResult(["wait", "--for=condition=complete", "job/by-hand", "--timeout=90s"]);
  assert.equal(waited.code, 0, waited.stderr);
  assert.equal(await readFile(join(await claimDir(s, "backups"), "manual.txt"), "utf8"), "by hand\n");
});
