// A claim's label selector over volume labels and a volume's node affinity over a node; rows as upstream's
// LabelSelectorAsSelector (in FindMatchingVolume) and CheckNodeAffinity decide them.
import assert from "node:assert/strict";
import test from "node:test";
import type { VolumeNodeAffinity } from "../core/types.js";
import type { LabelSelector } from "../meta.js";
import { ClaimSelectorError, checkNodeAffinity, claimSelector } from "./affinity.js";
import { affinity, claim, volume } from "./testing/fixtures.js";

const selectorCases: { name: string; selector?: LabelSelector; labels?: Record<string, string>; want: boolean }[] = [
  { name: "a claim without a selector takes any volume", selector: undefined, labels: undefined, want: true },
  { name: "an empty selector matches every volume", selector: {}, labels: undefined, want: true },
  {
    name: "matchLabels needs the label",
    selector: { matchLabels: { tier: "db" } },
    labels: { tier: "db" },
    want: true,
  },
  {
    name: "matchLabels refuses another value",
    selector: { matchLabels: { tier: "db" } },
    labels: { tier: "web" },
    want: false,
  },
  {
    name: "NotIn admits a volume without the label",
    selector: { matchExpressions: [{ key: "tier", operator: "NotIn", values: ["web"] }] },
    labels: undefined,
    want: true,
  },
  {
    name: "Exists refuses an unlabelled volume",
    selector: { matchExpressions: [{ key: "tier", operator: "Exists" }] },
    labels: undefined,
    want: false,
  },
];
for (const c of selectorCases) {
  test(`claim selector: ${c.name}`, () => {
    const matcher = claimSelector(claim("c", "1Gi", { selector: c.selector }));
    const labels = volume("v", "1Gi", { labels: c.labels }).metadata.labels;
    assert.equal(matcher === undefined || matcher.matches(labels), c.want);
  });
}

test("a selector that cannot be converted is refused with upstream's words", () => {
  const subject = claim("c", "1Gi", {
    selector: { matchExpressions: [{ key: "tier", operator: "Near" as "In", values: ["db"] }] },
  });
  assert.throws(
    () => claimSelector(subject),
    (err: unknown) => {
      assert.ok(err instanceof ClaimSelectorError);
      assert.match(err.message, /^error creating internal label selector for claim: default\/c: "Near" is not a valid/);
      return true;
    },
  );
});

const node = {
  name: "node-1",
  labels: { "kubernetes.io/hostname": "node-1", "topology.kubernetes.io/zone": "a", cores: "8" },
};
const affinityCases: { name: string; affinity?: VolumeNodeAffinity; want: boolean }[] = [
  { name: "a volume without node affinity goes to any node", affinity: undefined, want: true },
  {
    name: "In admits a node with the value",
    affinity: affinity("topology.kubernetes.io/zone", "In", ["a", "b"]),
    want: true,
  },
  {
    name: "In refuses a node without the value",
    affinity: affinity("kubernetes.io/hostname", "In", ["node-2"]),
    want: false,
  },
  {
    name: "NotIn refuses a node with the value",
    affinity: affinity("topology.kubernetes.io/zone", "NotIn", ["a"]),
    want: false,
  },
  { name: "DoesNotExist admits a node without the label", affinity: affinity("disk", "DoesNotExist"), want: true },
  { name: "Gt compares integers", affinity: affinity("cores", "Gt", ["4"]), want: true },
  { name: "an empty term admits no node", affinity: { required: { nodeSelectorTerms: [{}] } }, want: false },
  { name: "no required terms at all: any node", affinity: {}, want: true },
  {
    name: "terms are ORed",
    affinity: {
      required: {
        nodeSelectorTerms: [
          { matchExpressions: [{ key: "disk", operator: "Exists" }] },
          { matchExpressions: [{ key: "topology.kubernetes.io/zone", operator: "In", values: ["a"] }] },
        ],
      },
    },
    want: true,
  },
];
for (const c of affinityCases) {
  test(`node affinity: ${c.name}`, () => {
    assert.equal(checkNodeAffinity(volume("v", "1Gi", { nodeAffinity: c.affinity }), node), c.want);
  });
}
