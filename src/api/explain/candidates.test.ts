// Every candidate volume of an unbound claim and the rule it fails, worded for a user; and the one it fits is the
// one the binder's findMatchingVolume picks, so explain and the binder cannot disagree.
import assert from "node:assert/strict";
import test from "node:test";
import { affinity, claim, ref, volume } from "../storagerules/testing/fixtures.js";
import { findMatchingVolume } from "../storagerules/fit.js";
import { candidateVolumes } from "./candidates.js";
import { node } from "./testing/objects.js";

const wanted = { ...claim("data", "5Gi", { className: "gold", selector: { matchLabels: { tier: "db" } } }) };
const db = { tier: "db" };
const volumes = [
  volume("small", "1Gi", { className: "gold", labels: db }),
  volume("rox", "10Gi", { className: "gold", labels: db, modes: ["ReadOnlyMany"] }),
  volume("block", "10Gi", { className: "gold", labels: db, volumeMode: "Block" }),
  volume("silver", "10Gi", { className: "silver", labels: db }),
  volume("web", "10Gi", { className: "gold", labels: { tier: "web" } }),
  volume("taken", "10Gi", { className: "gold", labels: db, phase: "Bound", claimRef: ref("other", "uid-other") }),
  volume("reserved", "10Gi", { className: "gold", labels: db, claimRef: ref("mine-later") }),
  volume("released", "10Gi", { className: "gold", labels: db, phase: "Released" }),
  volume("going", "10Gi", { className: "gold", labels: db, deleting: true }),
  volume("elsewhere", "10Gi", {
    className: "gold",
    labels: db,
    nodeAffinity: affinity("kubernetes.io/hostname", "In", ["node-z"]),
  }),
  volume("right", "8Gi", { className: "gold", labels: db }),
  volume("bigger", "20Gi", { className: "gold", labels: db }),
];

const rows: Array<[volume: string, reason: string, says: RegExp]> = [
  ["right", "Fits", /^fits$/],
  ["bigger", "Fits", /^fits$/],
  ["block", "VolumeModeMismatch", /volumeMode Block, the claim asks for Filesystem/],
  ["going", "BeingDeleted", /being deleted/],
  ["released", "NotAvailable", /phase Released: only Available volumes are bound/],
  ["reserved", "ClaimedByAnother", /claimRef reserves it for claim default\/mine-later/],
  ["rox", "AccessModesMismatch", /access modes ROX do not include the claim's RWO/],
  ["silver", "ClassMismatch", /storage class "silver", the claim asks for "gold"/],
  ["small", "TooSmall", /capacity 1Gi is less than the 5Gi the claim requests/],
  ["taken", "ClaimedByAnother", /already bound to claim default\/other/],
  ["web", "SelectorMismatch", /labels \{"tier":"web"\} do not match the claim's selector/],
];

test("every candidate volume names the rule it fails, fitting ones first", () => {
  const got = candidateVolumes(wanted, volumes, { delayBinding: false, nodes: [] });
  const elsewhere = got.find((c) => c.name === "elsewhere");
  // Immediate binding does not look at node affinity: the binder would take it too, by size after "right".
  assert.equal(elsewhere?.reason, "Fits");
  assert.deepEqual(
    got.filter((c) => c.name !== "elsewhere").map((c) => c.name),
    rows.map(([name]) => name),
  );
  for (const [name, reason, says] of rows) {
    const candidate = got.find((c) => c.name === name);
    assert.equal(candidate?.reason, reason, name);
    assert.match(candidate?.message ?? "", says, name);
  }
});

test("a WaitForFirstConsumer claim judges node affinity against every node, as the scheduler does", () => {
  const got = candidateVolumes(wanted, volumes, { delayBinding: true, nodes: [node("node-a")] });
  const elsewhere = got.find((c) => c.name === "elsewhere");
  assert.equal(elsewhere?.reason, "NodeAffinityMismatch");
  assert.match(elsewhere?.message ?? "", /admits no node of the cluster/);
});

test("the first fitting candidate is the volume the binder binds", () => {
  for (const claimSize of ["1Gi", "5Gi", "9Gi", "15Gi", "30Gi"]) {
    const c = claim("data", claimSize, { className: "gold", selector: { matchLabels: { tier: "db" } } });
    const first = candidateVolumes(c, volumes, { delayBinding: false, nodes: [] }).find((x) => x.fits);
    assert.equal(first?.name, findMatchingVolume(c, volumes)?.metadata.name, claimSize);
  }
});
