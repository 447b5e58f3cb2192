// Update strategies a user steers by hand, through `stowage up` and the real kubectl: a RollingUpdate partition
// updates only the ordinals at or above it (and a recreated pod below it stays at the old revision), OnDelete
// updates nothing until a pod is deleted, and revisionHistoryLimit prunes revisions no pod runs.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { ControllerRevision } from "../../api/apps/types.js";
import type { Pod } from "../../api/core/types.js";
import { eventually } from "../../e2e/stowage.js";
import {
  allRunning,
  getJson,
  mysqlManifest,
  revisionOf,
  setWhere,
  startWorld,
  patchMysql,
} from "../../e2e/statefulset.js";

const names = ["mysql-0", "mysql-1", "mysql-2"];
const image = (pod: Pod | undefined) => pod?.spec.containers[0]?.image;

test("partition 2 updates only mysql-2; lowering it to 0 finishes the rollout", async (t) => {
  const { s } = await startWorld(t);
  await s.kubectl("apply", "-f", mysqlManifest);
  const before = await allRunning(s, names);
  const first = await setWhere(s, (x) => x.status?.readyReplicas === 3);
  const revision1 = first.status?.currentRevision ?? "";

  await patchMysql(
    s,
    '{"spec":{"updateStrategy":{"rollingUpdate":{"partition":2}},"template":{"spec":{"containers":[{"name":"mysql","image":"mysql:8.4"}]}}}}',
  );
  const rollout = await s.kubectlResult(["rollout", "status", "statefulset/mysql", "--timeout=60s"]);
  assert.equal(rollout.code, 0, rollout.stderr);
  assert.match(rollout.stdout, /partitioned roll out complete: 1 new pods have been updated\.\.\./);

  const partial = await allRunning(s, names);
  const set = await setWhere(s, (x) => x.status?.updatedReplicas === 1 && x.status.readyReplicas === 3);
  const revision2 = set.status?.updateRevision ?? "";
  assert.notEqual(revision2, revision1);
  assert.equal(set.status?.currentRevision, revision1, "a partitioned rollout never completes");
  assert.equal(set.status?.currentReplicas, 2);
  assert.equal(revisionOf(partial.get("mysql-2")!), revision2);
  assert.equal(image(partial.get("mysql-2")), "mysql:8.4");
  for (const name of ["mysql-0", "mysql-1"]) {
    assert.equal(partial.get(name)?.metadata.uid, before.get(name)?.metadata.uid, `${name} untouched`);
    assert.equal(revisionOf(partial.get(name)!), revision1);
  }

  // A pod below the partition that is deleted comes back at the current revision, not the update revision.
  await s.kubectl("delete", "pod", "mysql-0");
  const recreated = await eventually(async () => {
    const pods = await allRunning(s, names);
    const pod = pods.get("mysql-0");
    return pod && pod.metadata.uid !== before.get("mysql-0")?.metadata.uid ? pod : undefined;
  }, 45_000);
  assert.equal(revisionOf(recreated), revision1);
  assert.equal(image(recreated), "mysql:8.0");

  // Partition 0: the rest follow, highest first, and the update revision becomes current; with
  // revisionHistoryLimit 0 the old revision goes once no pod runs it.
  await patchMysql(s, '{"spec":{"revisionHistoryLimit":0,"updateStrategy":{"rollingUpdate":{"partition":0}}}}');
  const done = await s.kubectlResult(["rollout", "status", "statefulset/mysql", "--timeout=90s"]);
  assert.equal(done.code, 0, done.stderr);
  await setWhere(s, (x) => x.status?.currentRevision === revision2 && x.status.currentReplicas === 3, 60_000);
  for (const pod of (await allRunning(s, names)).values()) assert.equal(revisionOf(pod), revision2);
  const revisions = await eventually(async () => {
    const list = await getJson<{ items: ControllerRevision[] }>(s, "controllerrevisions");
    return list.items.length === 1 ? list.items : undefined;
  });
  assert.equal(revisions[0]?.metadata.name, revision2);
});

test("OnDelete updates nothing until a pod is deleted; rollout status refuses it as upstream", async (t) => {
  const { s } = await startWorld(t);
  await s.kubectl("apply", "-f", mysqlManifest);
  const before = await allRunning(s, names);
  const first = await setWhere(s, (x) => x.status?.readyReplicas === 3);
  const revision1 = first.status?.currentRevision ?? "";

  await patchMysql(s, '{"spec":{"updateStrategy":{"type":"OnDelete","rollingUpdate":null}}}');
  await s.kubectl("set", "image", "statefulset/mysql", "mysql=mysql:8.4");
  // Once the controller has observed the new template (status names the new update revision), it has decided.
  const observed = await setWhere(
    s,
    (x) => x.status?.observedGeneration === x.metadata.generation && x.status?.updateRevision !== revision1,
  );
  const revision2 = observed.status?.updateRevision ?? "";
  assert.equal(observed.status?.updatedReplicas, 0);
  assert.equal(observed.status?.currentRevision, revision1);
  const still = await allRunning(s, names);
  for (const name of names) assert.equal(still.get(name)?.metadata.uid, before.get(name)?.metadata.uid);

  const status = await s.kubectlResult(["rollout", "status", "statefulset/mysql", "--timeout=5s"]);
  assert.notEqual(status.code, 0);
  assert.match(status.stderr, /rollout status is only available for RollingUpdate strategy type/);

  // The deleted pod returns at the update revision; the others keep theirs.
  await s.kubectl("delete", "pod", "mysql-1");
  const pods = await eventually(async () => {
    const now = await allRunning(s, names);
    return now.get("mysql-1")?.metadata.uid !== before.get("mysql-1")?.metadata.uid ? now : undefined;
  }, 45_000);
  assert.equal(revisionOf(pods.get("mysql-1")!), revision2);
  assert.equal(image(pods.get("mysql-1")), "mysql:8.4");
  assert.equal(revisionOf(pods.get("mysql-0")!), revision1);
  assert.equal(revisionOf(pods.get("mysql-2")!), revision1);
  await setWhere(s, (x) => x.status?.updatedReplicas === 1 && x.status.currentReplicas === 2);

  // The last two by hand: every pod at the update revision. As upstream, OnDelete never moves currentRevision.
  await s.kubectl("delete", "pod", "mysql-0", "mysql-2");
  await eventually(async () => {
    const now = await allRunning(s, names);
    return [...now.values()].every((p) => revisionOf(p) === revision2) ? true : undefined;
  }, 60_000);
  const final = await setWhere(s, (x) => x.status?.updatedReplicas === 3);
  assert.equal(final.status?.currentRevision, revision1);
});
