import assert from "node:assert/strict";
import { test } from "node:test";
import { fieldErrorMessage } from "../field.js";
import { controllerRevisions } from "./controllerrevision.js";
import type { ControllerRevision } from "./types.js";

const revision = (): ControllerRevision => ({
  apiVersion: "apps/v1",
  kind: "ControllerRevision",
  metadata: {
    name: "mysql-7b9d5c6f4",
    namespace: "default",
    creationTimestamp: "2026-01-01T00:00:00Z",
    ownerReferences: [
      {
        apiVersion: "apps/v1",
        kind: "StatefulSet",
        name: "mysql",
        uid: "u",
        controller: true,
        blockOwnerDeletion: true,
      },
    ],
  },
  data: { spec: { template: { $patch: "replace", spec: { containers: [] } } } },
  revision: 1,
});

test("kubectl get controllerrevisions prints NAME, CONTROLLER as kind.group/name, REVISION and AGE", () => {
  assert.deepEqual(
    controllerRevisions.table.columns.map((c) => c.name),
    ["Name", "Controller", "Revision", "Age"],
  );
  assert.deepEqual(controllerRevisions.table.row(revision(), new Date("2026-01-01T00:01:00Z")), [
    "mysql-7b9d5c6f4",
    "statefulset.apps/mysql",
    1,
    "60s",
  ]);
  const orphan = revision();
  orphan.metadata.ownerReferences = [];
  assert.equal(controllerRevisions.table.row(orphan, new Date())[1], "<none>");
});

test("a revision needs data and a non-negative revision number", () => {
  const bad = revision();
  delete bad.data;
  bad.revision = -1;
  assert.deepEqual(controllerRevisions.validateCreate(bad).map(fieldErrorMessage), [
    "data: Required value: data is mandatory",
    "revision: Invalid value: -1: must be greater than or equal to 0",
  ]);
});

test("a revision's data is immutable but its number may change (a rollback renumbers it)", () => {
  const old = revision();
  const renumbered = structuredClone(old);
  renumbered.revision = 3;
  assert.deepEqual(controllerRevisions.validateUpdate(renumbered, old), []);
  const changed = structuredClone(old);
  changed.data = { spec: {} };
  assert.deepEqual(
    controllerRevisions.validateUpdate(changed, old).map((e) => fieldErrorMessage(e).replace(/:.*: /, ": … ")),
    ["data: … field is immutable"],
  );
});
