// A CronJob every minute under `stowage up --runtime process`, driven with the real kubectl: its Jobs really run and
// append to a claim, successfulJobsHistoryLimit keeps one finished Job, and `kubectl get cronjob` shows upstream's
// columns. The schedule is real, so this test takes up to two minutes of waiting for the clock.
// (`kubectl create job --from=cronjob/…` is in src/controllers/job/job.kubectl.test.ts.)
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import type { CronJob, Job } from "../../api/batch/types.js";
import type { PersistentVolume, PersistentVolumeClaim } from "../../api/core/types.js";
import { nodeName } from "../../e2e/parts.js";
import { eventually, startProcessStowage, type ProcessStowage } from "../../e2e/processruntime.js";

const manifest = `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: backups}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: backup}
spec:
  schedule: "*/1 * * * *"
  timeZone: Europe/Berlin
  successfulJobsHistoryLimit: 1
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers:
          - name: dump
            image: busybox
            command: [sh, -c, 'echo "run by $HOSTNAME" >> /backups/runs.txt']
            volumeMounts: [{name: backups, mountPath: /backups}]
          volumes: [{name: backups, persistentVolumeClaim: {claimName: backups}}]
`;

async function getJson<T>(s: ProcessStowage, ...args: string[]): Promise<T> {
  return JSON.parse(await s.kubectl("get", ...args, "-o", "json")) as T;
}

async function runs(s: ProcessStowage): Promise<string[]> {
  const pvc = await getJson<PersistentVolumeClaim>(s, "pvc", "backups");
  if (!pvc.spec.volumeName) return [];
  const pv = await getJson<PersistentVolume>(s, "pv", pvc.spec.volumeName);
  const dir = join(s.dataDir, "csi", "hostpath", nodeName(1), "volumes", pv.spec.csi?.volumeHandle ?? "");
  try {
    return (await readFile(join(dir, "runs.txt"), "utf8")).split("\n").filter(Boolean);
  } catch {
    return [];
  }
}

const completed = (job: Job) =>
  (job.status?.conditions ?? []).some((c) => c.type === "Complete" && c.status === "True");

test("a CronJob every minute runs Jobs that append to a claim and keeps one finished Job", async (t) => {
  const s = await startProcessStowage(t);
  await s.apply(manifest);
  assert.match(
    await s.kubectl("get", "cronjob", "backup"),
    /^NAME\s+SCHEDULE\s+TIMEZONE\s+SUSPEND\s+ACTIVE\s+LAST SCHEDULE\s+AGE\nbackup\s+\*\/1 \* \* \* \*\s+Europe\/Berlin\s+False\s+0\s+<none>\s+\S+\n$/,
  );

  // Two scheduled runs (the one by hand is job.kubectl.test.ts'): the first minute boundary comes within 60 s of the
  // apply, the second 60 s later, so 150 s holds two whatever second the test starts at — never three for sure.
  const lines = await eventually(async () => {
    const got = await runs(s);
    return got.length >= 2 ? got : undefined;
  }, 150_000);
  assert.ok(
    lines.every((line) => /^run by backup-\d+-\w+$/.test(line)),
    lines.join("\n"),
  );
  const jobs = await eventually(async () => {
    const items = (await getJson<{ items: Job[] }>(s, "jobs")).items;
    return items.length === 1 && completed(items[0]) ? items : undefined;
  }, 60_000);
  assert.match(jobs[0].metadata.name ?? "", /^backup-\d+$/, "the newest scheduled Job is the one kept");
  assert.ok(jobs[0].metadata.annotations?.["batch.kubernetes.io/cronjob-scheduled-timestamp"]);
  const cronJob = await getJson<CronJob>(s, "cronjob", "backup");
  assert.ok(cronJob.status?.lastScheduleTime);
  assert.ok(cronJob.status?.lastSuccessfulTime);
  const events = await s.kubectl(
    "get",
    "events",
    "--field-selector",
    "involvedObject.name=backup",
    "-o",
    "custom-columns=REASON:.reason",
    "--no-headers",
  );
  for (const reason of ["SuccessfulCreate", "SawCompletedJob", "SuccessfulDelete"])
    assert.match(events, new RegExp(`^${reason}$`, "m"));
});
