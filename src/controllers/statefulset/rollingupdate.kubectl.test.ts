// A StatefulSet's rolling update through `stowage up` and the real kubectl: a new pod template becomes a new
// ControllerRevision; pods are replaced highest ordinal first, one at a time, each with the new
// controller-revision-hash and its old claim and data; `kubectl rollout status` returns when done, and
// `kubectl rollout history` / `kubectl get controllerrevisions` list the revisions.
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import type { ControllerRevision } from "../../api/apps/types.js";
import type { PersistentVolumeClaim } from "../../api/core/types.js";
import { eventually } from "../../e2e/stowage.js";
import {
  allRunning,
  getJson,
  mysqlManifest,
  publishPath,
  revisionOf,
  setWhere,
  startWorld,
  patchMysql,
} from "../../e2e/statefulset.js";

const names = ["mysql-0", "mysql-1", "mysql-2"];

test("changing the template's image replaces pods 2, 1, 0 with the new revision, keeping their claims and data", async (t) => {
  assert.equal(process.getuid?.(), 0, "this test needs root for real bind mounts");
  const { s, dataDir } = await startWorld(t);
  await s.kubectl("apply", "-f", mysqlManifest);
  const before = await allRunning(s, names);

  // One revision, which every pod runs and the status names as both current and update revision.
  const first = await setWhere(s, (set) => set.status?.readyReplicas === 3 && set.status.updatedReplicas === 3);
  const revision1 = first.status?.updateRevision ?? "";
  assert.match(revision1, /^mysql-[bcdfghjklmnpqrstvwxz2456789]+$/);
  assert.equal(first.status?.currentRevision, revision1);
  for (const pod of before.values()) assert.equal(revisionOf(pod), revision1);
  assert.match(
    await s.kubectl("get", "controllerrevisions"),
    new RegExp(`^NAME\\s+CONTROLLER\\s+REVISION\\s+AGE\\n${revision1}\\s+statefulset.apps/mysql\\s+1\\s+\\S+\\n$`),
  );

  // Data in each pod's claim, to be found again after the update.
  const claims = new Map<string, PersistentVolumeClaim>();
  for (const [name, pod] of before) {
    const claim = await getJson<PersistentVolumeClaim>(s, "pvc", `data-${name}`);
    claims.set(name, claim);
    await writeFile(join(publishPath(dataDir, pod, claim.spec.volumeName ?? ""), "owner"), `${name}\n`);
  }

  // Every pod event from now on, in order, with the revision each pod carries.
  const watch = s.kubectlBackground(
    "get",
    "pods",
    "-l",
    "app=mysql",
    "--watch-only",
    "--output-watch-events",
    "-o",
    `jsonpath={.type} {.object.metadata.name} {.object.metadata.labels.controller-revision-hash}{"\\n"}`,
  );
  t.after(() => watch.stop());
  await s.kubectl("set", "image", "statefulset/mysql", "mysql=mysql:8.4");
  const rollout = await s.kubectlResult(["rollout", "status", "statefulset/mysql", "--timeout=90s"]);
  assert.equal(rollout.code, 0, rollout.stderr);
  assert.match(rollout.stdout, /partitioned roll out complete: 3 new pods have been updated\.\.\./);

  const after = await allRunning(s, names);
  const set = await setWhere(s, (x) => x.status?.currentRevision === x.status?.updateRevision);
  const revision2 = set.status?.updateRevision ?? "";
  assert.notEqual(revision2, revision1);
  assert.equal(set.status?.updatedReplicas, 3);
  assert.equal(set.status?.currentReplicas, 3);
  assert.equal(set.status?.observedGeneration, set.metadata.generation);
  for (const [name, pod] of after) {
    assert.notEqual(pod.metadata.uid, before.get(name)?.metadata.uid, `${name} was recreated`);
    assert.equal(revisionOf(pod), revision2);
    assert.equal(pod.spec.containers[0]?.image, "mysql:8.4");
    const claim = await getJson<PersistentVolumeClaim>(s, "pvc", `data-${name}`);
    assert.equal(claim.metadata.uid, claims.get(name)?.metadata.uid, `${name} keeps its claim`);
    const owner = await readFile(join(publishPath(dataDir, pod, claim.spec.volumeName ?? ""), "owner"), "utf8");
    assert.equal(owner, `${name}\n`);
  }

  // Replaced from the highest ordinal down: each old pod deleted only after the one above came back.
  const lines = await eventually(() => {
    const got = watch.output().trim().split("\n");
    return got.filter((l) => l.startsWith("ADDED ") && l.endsWith(revision2)).length === 3 ? got : undefined;
  });
  const added = lines.filter((l) => l.startsWith("ADDED ")).map((l) => l.split(" ")[1]);
  assert.deepEqual(added, ["mysql-2", "mysql-1", "mysql-0"]);
  const deleted = lines.filter((l) => l.startsWith("DELETED ")).map((l) => l.split(" ")[1]);
  assert.deepEqual(deleted, ["mysql-2", "mysql-1", "mysql-0"]);
  assert.ok(
    lines.findIndex((l) => l.startsWith("DELETED mysql-1")) > lines.findIndex((l) => l.startsWith("ADDED mysql-2")),
    "mysql-1 goes only after the new mysql-2 is there",
  );

  // Two revisions, numbered in order; rollout history lists them.
  const revisions = await getJson<{ items: ControllerRevision[] }>(s, "controllerrevisions");
  assert.deepEqual(
    revisions.items.map((r) => [r.metadata.name, r.revision]).sort(),
    [
      [revision1, 1],
      [revision2, 2],
    ].sort(),
  );
  assert.match(
    await s.kubectl("rollout", "history", "statefulset/mysql"),
    /REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>/,
  );
  assert.match(await s.kubectl("rollout", "history", "statefulset/mysql", "--revision=1"), /Image:\s+mysql:8\.0/);

  // rollout undo applies revision 1's patch: the old revision is renumbered 3 and the pods roll back to it.
  await s.kubectl("rollout", "undo", "statefulset/mysql");
  const undone = await s.kubectlResult(["rollout", "status", "statefulset/mysql", "--timeout=90s"]);
  assert.equal(undone.code, 0, undone.stderr);
  const back = await setWhere(
    s,
    (x) => x.status?.updateRevision === revision1 && x.status.currentRevision === revision1,
    60_000,
  );
  assert.equal(back.spec.template.spec.containers[0]?.image, "mysql:8.0");
  for (const pod of (await allRunning(s, names)).values()) assert.equal(pod.spec.containers[0]?.image, "mysql:8.0");
  const renumbered = await getJson<ControllerRevision>(s, "controllerrevision", revision1);
  assert.equal(renumbered.revision, 3);
});

test("deleting the set deletes its ControllerRevisions with it", async (t) => {
  const { s } = await startWorld(t);
  const manifest = (await readFile(mysqlManifest, "utf8")).replace("replicas: 3", "replicas: 1");
  const applied = await s.kubectlResult(["apply", "-f", "-"], { input: manifest });
  assert.equal(applied.code, 0, applied.stderr);
  await allRunning(s, ["mysql-0"]);
  await patchMysql(s, '{"spec":{"template":{"metadata":{"annotations":{"x":"1"}}}}}');
  await eventually(async () => {
    const list = await getJson<{ items: ControllerRevision[] }>(s, "controllerrevisions");
    return list.items.length === 2 ? true : undefined;
  });
  await s.kubectl("delete", "statefulset", "mysql");
  await eventually(async () => {
    const list = await getJson<{ items: ControllerRevision[] }>(s, "controllerrevisions");
    return list.items.length === 0 ? true : undefined;
  }, 30_000);
  const gone = await s.kubectlResult(["get", "statefulset", "mysql"]);
  assert.match(gone.stderr, /statefulsets.apps "mysql" not found/);
});
