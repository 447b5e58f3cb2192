// Whom a volume is bound to; rows as upstream's IsVolumeBoundToClaim decides.
import assert from "node:assert/strict";
import test from "node:test";
import type { ObjectReference } from "../meta.js";
import { claimReference, isVolumeBoundToClaim } from "./claimref.js";
import { claim, ref, volume } from "./testing/fixtures.js";

const cases: { name: string; claimRef?: ObjectReference; want: boolean }[] = [
  { name: "a volume without claimRef is bound to no claim", claimRef: undefined, want: false },
  { name: "a claimRef by name, without UID (a user's pre-binding), is this claim's", claimRef: ref("c"), want: true },
  { name: "a claimRef with this claim's UID is this claim's", claimRef: ref("c", "uid-c"), want: true },
  {
    name: "a claimRef with another UID is an earlier claim of the same name",
    claimRef: ref("c", "uid-before"),
    want: false,
  },
  { name: "a claimRef to another name is another claim's", claimRef: ref("d"), want: false },
  { name: "a claimRef to another namespace is another claim's", claimRef: ref("c", undefined, "prod"), want: false },
];
for (const c of cases) {
  test(c.name, () =>
    assert.equal(isVolumeBoundToClaim(volume("v", "1Gi", { claimRef: c.claimRef }), claim("c", "1Gi")), c.want),
  );
}

test("the claimRef a binding writes names the claim with its UID and resourceVersion", () => {
  assert.deepEqual(claimReference(claim("data", "1Gi", { namespace: "prod" })), {
    kind: "PersistentVolumeClaim",
    apiVersion: "v1",
    namespace: "prod",
    name: "data",
    uid: "uid-data",
    resourceVersion: "7",
  });
});
