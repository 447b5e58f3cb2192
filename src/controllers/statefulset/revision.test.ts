import assert from "node:assert/strict";
import { test } from "node:test";
import type { ControllerRevision, StatefulSet } from "../../api/apps/types.js";
import {
  applyRevision,
  hashRevision,
  newRevision,
  nextRevision,
  revisionsToPrune,
  sortRevisions,
  updateRevisionStep,
} from "./revision.js";

const set = (image: string, annotations?: Record<string, string>): StatefulSet => ({
  apiVersion: "apps/v1",
  kind: "StatefulSet",
  metadata: { name: "mysql", namespace: "default", uid: "set-uid", annotations },
  spec: {
    replicas: 3,
    selector: { matchLabels: { app: "mysql" } },
    template: { metadata: { labels: { app: "mysql" } }, spec: { containers: [{ name: "mysql", image }] } },
  },
});

const numbered = (revision: ControllerRevision, n: number): ControllerRevision => ({ ...revision, revision: n });

test("a revision is named <set>-<hash>, labelled with the template's labels and its hash, owned by the set", () => {
  const revision = newRevision(set("mysql:8.0", { "kubernetes.io/change-cause": "initial" }), 1, 0);
  const hash = revision.metadata.name?.slice("mysql-".length) ?? "";
  assert.match(hash, /^[bcdfghjklmnpqrstvwxz2456789]+$/);
  assert.deepEqual(revision.metadata.labels, { app: "mysql", "controller-revision-hash": hash });
  assert.deepEqual(revision.metadata.annotations, { "kubernetes.io/change-cause": "initial" });
  assert.deepEqual(revision.metadata.ownerReferences, [
    {
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      name: "mysql",
      uid: "set-uid",
      controller: true,
      blockOwnerDeletion: true,
    },
  ]);
  assert.deepEqual(revision.data, {
    spec: {
      template: {
        metadata: { labels: { app: "mysql" } },
        spec: { containers: [{ name: "mysql", image: "mysql:8.0" }] },
        $patch: "replace",
      },
    },
  });
  assert.equal(revision.revision, 1);
});

test("the hash changes with the template and with the collision count, never with the revision number", () => {
  const a = newRevision(set("mysql:8.0"), 1, 0).metadata.name;
  assert.equal(newRevision(set("mysql:8.0"), 7, 0).metadata.name, a);
  assert.notEqual(newRevision(set("mysql:8.4"), 1, 0).metadata.name, a);
  assert.notEqual(newRevision(set("mysql:8.0"), 1, 1).metadata.name, a);
  assert.equal(hashRevision({ x: 1 }, 0), hashRevision({ x: 1 }, 0));
});

test("applying a revision gives the set its template back", () => {
  const old = newRevision(set("mysql:8.0"), 1, 0);
  const applied = applyRevision(set("mysql:8.4"), old);
  assert.equal(applied.spec.template.spec.containers[0]?.image, "mysql:8.0");
  assert.equal("$patch" in applied.spec.template, false);
});

const r1 = newRevision(set("mysql:8.0"), 1, 0);
const r2 = newRevision(set("mysql:8.4"), 2, 0);
const r3 = newRevision(set("mysql:9.0"), 3, 0);

test("revisions sort by number and the next is one more than the highest", () => {
  assert.deepEqual(sortRevisions([r3, r1, r2]), [r1, r2, r3]);
  assert.equal(nextRevision([r1, r2]), 3);
  assert.equal(nextRevision([]), 1);
});

const steps = [
  { name: "a new template creates a revision", sorted: [r1], wanted: numbered(r2, 2), want: "create" },
  { name: "an unchanged template uses the newest revision", sorted: [r1, r2], wanted: numbered(r2, 3), want: "use" },
  {
    name: "going back to an older template renumbers that revision instead of duplicating it",
    sorted: [r1, r2],
    wanted: numbered(r1, 3),
    want: "renumber",
  },
];
for (const c of steps) {
  test(c.name, () => {
    const step = updateRevisionStep(c.sorted, c.wanted);
    assert.equal(step.kind, c.want);
    if (step.kind === "renumber") assert.deepEqual([step.revision.metadata.name, step.to], [r1.metadata.name, 3]);
  });
}

test("pruning deletes the oldest revisions beyond the limit, never a live one", () => {
  const sorted = [r1, r2, r3];
  const live = (...names: (string | undefined)[]) => new Set(names.map((n) => n ?? ""));
  assert.deepEqual(revisionsToPrune(sorted, live(r3.metadata.name), 10), []);
  assert.deepEqual(revisionsToPrune(sorted, live(r3.metadata.name), 1), [r1]);
  assert.deepEqual(revisionsToPrune(sorted, live(r3.metadata.name), 0), [r1, r2]);
  // A pod still running revision 1 (e.g. below a partition) keeps it.
  assert.deepEqual(revisionsToPrune(sorted, live(r3.metadata.name, r1.metadata.name), 0), [r2]);
});
