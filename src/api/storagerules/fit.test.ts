// Smallest fit: the per-volume decision, the order, and the pick over a list; rows checkable against upstream's
// FindMatchingVolume (component-helpers/storage/volume) and findByClaim (persistentvolume/index_test.go). The
// scheduler's split (matchCandidates once, pickForNode per node) must answer every row as findMatchingVolume.
import assert from "node:assert/strict";
import test from "node:test";
import type { PersistentVolume, PersistentVolumeClaim } from "../core/types.js";
import type { NodeLabels } from "../selectors/nodeselector.js";
import type { FindOptions, MatchOptions, VolumeFit } from "./fit.js";
import { compareFit, findMatchingVolume, fitFor, fitRank, matchCandidates, pickForNode } from "./fit.js";
import { affinity, claim, ref, volume } from "./testing/fixtures.js";

const node1: NodeLabels = { name: "node-1", labels: { "kubernetes.io/hostname": "node-1", zone: "a" } };
const onNode = (name: string) => affinity("kubernetes.io/hostname", "In", [name]);

const fitCases: {
  name: string;
  claim: PersistentVolumeClaim;
  volume: PersistentVolume;
  options?: MatchOptions;
  want: VolumeFit;
}[] = [
  {
    name: "an Available volume of the class, big enough, fits",
    claim: claim("c", "1Gi"),
    volume: volume("v", "2Gi"),
    want: "free",
  },
  { name: "a smaller volume does not", claim: claim("c", "5Gi"), volume: volume("v", "4Gi"), want: "no" },
  {
    name: "a volume claimed by another claim does not",
    claim: claim("c", "1Gi"),
    volume: volume("v", "1Gi", { claimRef: ref("other", "uid-other") }),
    want: "no",
  },
  {
    name: "a volume pre-bound to this claim by name is pre-bound",
    claim: claim("c", "1Gi"),
    volume: volume("v", "1Gi", { claimRef: ref("c") }),
    want: "preBound",
  },
  {
    name: "a pre-bound volume ignores class, selector and phase",
    claim: claim("c", "1Gi", { className: "gold", selector: { matchLabels: { tier: "db" } } }),
    volume: volume("v", "1Gi", { claimRef: ref("c", "uid-c"), phase: "Released" }),
    want: "preBound",
  },
  {
    name: "a pre-bound volume still needs the claim's access modes",
    claim: claim("c", "1Gi", { modes: ["ReadWriteMany"] }),
    volume: volume("v", "1Gi", { claimRef: ref("c") }),
    want: "no",
  },
  {
    name: "a pre-bound volume that cannot reach the node keeps the claim off that node",
    claim: claim("c", "1Gi"),
    volume: volume("v", "1Gi", { claimRef: ref("c"), nodeAffinity: onNode("node-2") }),
    options: { node: node1 },
    want: "preBoundOffNode",
  },
  {
    name: "delayed binding without a node offers no free volume",
    claim: claim("c", "1Gi"),
    volume: volume("v", "1Gi"),
    options: { delayBinding: true },
    want: "no",
  },
  {
    name: "delayed binding with a node offers free volumes that reach it",
    claim: claim("c", "1Gi"),
    volume: volume("v", "1Gi", { nodeAffinity: onNode("node-1") }),
    options: { delayBinding: true, node: node1 },
    want: "free",
  },
  {
    name: "a free volume that cannot reach the node does not fit",
    claim: claim("c", "1Gi"),
    volume: volume("v", "1Gi", { nodeAffinity: onNode("node-2") }),
    options: { node: node1 },
    want: "no",
  },
  {
    name: "a Pending volume is not offered",
    claim: claim("c", "1Gi"),
    volume: volume("v", "1Gi", { phase: "Pending" }),
    want: "no",
  },
  {
    name: "a volume being deleted is not offered",
    claim: claim("c", "1Gi"),
    volume: volume("v", "1Gi", { deleting: true }),
    want: "no",
  },
  {
    name: "a volume of another class does not fit",
    claim: claim("c", "1Gi", { className: "gold" }),
    volume: volume("v", "1Gi", { className: "silver" }),
    want: "no",
  },
  {
    name: "a Block claim does not fit a Filesystem volume",
    claim: claim("c", "1Gi", { volumeMode: "Block" }),
    volume: volume("v", "1Gi"),
    want: "no",
  },
  {
    name: "labels must match the claim's selector",
    claim: claim("c", "1Gi", { selector: { matchLabels: { tier: "db" } } }),
    volume: volume("v", "1Gi", { labels: { tier: "web" } }),
    want: "no",
  },
];
for (const c of fitCases) {
  test(`fit: ${c.name}`, () => assert.equal(fitFor(c.claim, c.options)(c.volume), c.want));
}

const orderCases: { name: string; first: PersistentVolume; second: PersistentVolume }[] = [
  { name: "the smaller capacity first", first: volume("b", "1Gi"), second: volume("a", "2Gi") },
  { name: "capacity compared as quantities (5G before 5Gi)", first: volume("b", "5G"), second: volume("a", "5Gi") },
  { name: "equal capacities by name", first: volume("a", "1Gi"), second: volume("b", "1Gi") },
  {
    name: "fewer access modes first, even if bigger",
    first: volume("rwo", "10Gi"),
    second: volume("both", "1Gi", { modes: ["ReadWriteOnce", "ReadOnlyMany"] }),
  },
  {
    name: "equally many access modes by their names",
    first: volume("rox", "10Gi", { modes: ["ReadOnlyMany"] }),
    second: volume("rwo", "1Gi"),
  },
];
for (const c of orderCases) {
  test(`order: ${c.name}`, () => {
    assert.ok(compareFit(fitRank(c.first), fitRank(c.second)) < 0);
    assert.ok(compareFit(fitRank(c.second), fitRank(c.first)) > 0);
  });
}

const findCases: {
  name: string;
  claim: PersistentVolumeClaim;
  volumes: PersistentVolume[];
  options?: FindOptions;
  want: string | undefined;
}[] = [
  {
    name: "the smallest volume that fits",
    claim: claim("c", "5Gi"),
    volumes: [volume("big", "10Gi"), volume("exact", "5Gi")],
    want: "exact",
  },
  { name: "nothing big enough: none", claim: claim("c", "5Gi"), volumes: [volume("small", "1Gi")], want: undefined },
  {
    name: "a pre-bound volume wins over a smaller free one",
    claim: claim("c", "1Gi"),
    volumes: [volume("free", "1Gi"), volume("mine", "9Gi", { claimRef: ref("c") })],
    want: "mine",
  },
  {
    name: "a pre-bound volume that is too small is passed over",
    claim: claim("c", "5Gi"),
    volumes: [volume("mine", "1Gi", { claimRef: ref("c") }), volume("free", "5Gi")],
    want: "free",
  },
  {
    name: "two volumes pre-bound to the claim: the smaller decides",
    claim: claim("c", "1Gi"),
    volumes: [volume("big", "9Gi", { claimRef: ref("c") }), volume("small", "2Gi", { claimRef: ref("c") })],
    want: "small",
  },
  {
    name: "a RWO claim takes a RWO volume before a smaller RWO+ROX one",
    claim: claim("c", "1Gi"),
    volumes: [volume("both", "1Gi", { modes: ["ReadWriteOnce", "ReadOnlyMany"] }), volume("rwo", "10Gi")],
    want: "rwo",
  },
  {
    name: "a RWO claim takes a RWO+ROX volume when no RWO one fits",
    claim: claim("c", "1Gi"),
    volumes: [volume("both", "1Gi", { modes: ["ReadWriteOnce", "ReadOnlyMany"] })],
    want: "both",
  },
  {
    name: "delayed binding without a node: only a pre-bound volume",
    claim: claim("c", "1Gi"),
    volumes: [volume("free", "1Gi")],
    options: { delayBinding: true },
    want: undefined,
  },
  {
    name: "with a node: the smallest volume whose node affinity admits it",
    claim: claim("c", "1Gi"),
    volumes: [
      volume("elsewhere", "1Gi", { nodeAffinity: onNode("node-2") }),
      volume("here", "2Gi", { nodeAffinity: onNode("node-1") }),
    ],
    options: { node: node1, delayBinding: true },
    want: "here",
  },
  {
    name: "with a node: a pre-bound volume elsewhere means no volume at all",
    claim: claim("c", "1Gi"),
    volumes: [volume("mine", "1Gi", { claimRef: ref("c"), nodeAffinity: onNode("node-2") }), volume("free", "1Gi")],
    options: { node: node1 },
    want: undefined,
  },
  {
    name: "volumes given to other claims of the pod are excluded",
    claim: claim("c", "1Gi"),
    volumes: [volume("taken", "1Gi"), volume("next", "2Gi")],
    options: { excluded: new Set(["taken"]) },
    want: "next",
  },
  {
    name: "a claim of class gold takes only gold volumes",
    claim: claim("c", "1Gi", { className: "gold" }),
    volumes: [volume("plain", "1Gi"), volume("gold", "5Gi", { betaClass: "gold" })],
    want: "gold",
  },
];
for (const c of findCases) {
  test(`find: ${c.name}`, () => {
    assert.equal(findMatchingVolume(c.claim, c.volumes, c.options)?.metadata.name, c.want);
  });
  test(`find per node (the scheduler's split) agrees: ${c.name}`, () => {
    const { node, delayBinding, excluded } = c.options ?? {};
    const candidates = matchCandidates(c.claim, c.volumes, { delayBinding: delayBinding && !node });
    assert.equal(pickForNode(candidates, node, excluded)?.metadata.name, c.want);
  });
}
