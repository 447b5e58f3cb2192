// Smallest-fit rules, each row checkable against upstream's FindMatchingVolume / findByClaim. Every row is
// asked twice: of the shared plain-list findMatchingVolume (what the scheduler's volume binding also follows)
// and of the binder's VolumeIndex, which must pick the same volume.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { PersistentVolume, PersistentVolumeClaim } from "../../api/core/types.js";
import { checkNodeAffinity } from "../../api/storagerules/affinity.js";
import type { MatchOptions } from "../../api/storagerules/fit.js";
import { findMatchingVolume } from "../../api/storagerules/fit.js";
import { VolumeIndex } from "./match.js";
import { pv, pvc, ref } from "./testing/fixtures.js";

const zoneAffinity = (
  key: string,
  operator: "In" | "NotIn" | "Exists" | "DoesNotExist" | "Gt" | "Lt",
  values?: string[],
) => ({
  required: { nodeSelectorTerms: [{ matchExpressions: [{ key, operator, ...(values ? { values } : {}) }] }] },
});
const node1 = {
  name: "node-1",
  labels: { "kubernetes.io/hostname": "node-1", "topology.kubernetes.io/zone": "a", cores: "8" },
};

interface Case {
  name: string;
  claim: PersistentVolumeClaim;
  volumes: PersistentVolume[];
  options?: MatchOptions;
  want: string | undefined;
}

const cases: Case[] = [
  {
    name: "binds the smallest volume that fits",
    claim: pvc("c", "5Gi"),
    volumes: [pv("big", "10Gi"), pv("exact", "5Gi")],
    want: "exact",
  },
  { name: "a bigger volume fits a smaller request", claim: pvc("c", "1Gi"), volumes: [pv("big", "10Gi")], want: "big" },
  {
    name: "a volume smaller than the request never fits",
    claim: pvc("c", "5Gi"),
    volumes: [pv("small", "4Gi")],
    want: undefined,
  },
  {
    name: "capacity compares quantities, not text (5Gi > 5G)",
    claim: pvc("c", "5Gi"),
    volumes: [pv("g", "5G"), pv("gi", "5368709120")],
    want: "gi",
  },
  {
    name: "1Gi request takes the 1024Mi volume before the 2Gi one",
    claim: pvc("c", "1Gi"),
    volumes: [pv("two", "2Gi"), pv("mi", "1024Mi")],
    want: "mi",
  },
  {
    name: "equal sizes go to the first name",
    claim: pvc("c", "1Gi"),
    volumes: [pv("b", "1Gi"), pv("a", "1Gi")],
    want: "a",
  },
  {
    name: "never picks a volume already claimed by another claim",
    claim: pvc("c", "1Gi"),
    volumes: [pv("taken", "1Gi", { claimRef: ref("other", "uid-other") })],
    want: undefined,
  },
  {
    name: "never picks a volume pre-bound by name to another claim",
    claim: pvc("c", "1Gi"),
    volumes: [pv("reserved", "1Gi", { claimRef: ref("other") })],
    want: undefined,
  },
  {
    name: "a volume pre-bound to this claim (no UID) wins over a smaller free one",
    claim: pvc("c", "1Gi"),
    volumes: [pv("free", "1Gi"), pv("mine", "9Gi", { claimRef: ref("c") })],
    want: "mine",
  },
  {
    name: "a volume pre-bound with this claim's UID is this claim's",
    claim: pvc("c", "1Gi"),
    volumes: [pv("mine", "2Gi", { claimRef: ref("c", "uid-c"), phase: "Bound" })],
    want: "mine",
  },
  {
    name: "a claimRef with another UID (a deleted claim of the same name) is not this claim's",
    claim: pvc("c", "1Gi"),
    volumes: [pv("old", "1Gi", { claimRef: ref("c", "uid-previous"), phase: "Released" })],
    want: undefined,
  },
  {
    name: "a claimRef in another namespace is not this claim's",
    claim: pvc("c", "1Gi"),
    volumes: [pv("other-ns", "1Gi", { claimRef: ref("c", undefined, "prod") })],
    want: undefined,
  },
  {
    name: "a pre-bound volume ignores class, selector and phase",
    claim: pvc("c", "1Gi", { className: "gold", selector: { matchLabels: { tier: "db" } } }),
    volumes: [pv("mine", "1Gi", { claimRef: ref("c"), className: "", phase: "Pending" })],
    want: "mine",
  },
  {
    name: "a pre-bound volume that is too small is skipped",
    claim: pvc("c", "5Gi"),
    volumes: [pv("mine", "1Gi", { claimRef: ref("c") }), pv("free", "5Gi")],
    want: "free",
  },
  {
    name: "a pre-bound volume with another volumeMode is skipped",
    claim: pvc("c", "1Gi"),
    volumes: [pv("mine", "1Gi", { claimRef: ref("c"), volumeMode: "Block" })],
    want: undefined,
  },
  {
    name: "a pre-bound volume being deleted is skipped",
    claim: pvc("c", "1Gi"),
    volumes: [pv("mine", "1Gi", { claimRef: ref("c"), deleting: true })],
    want: undefined,
  },
  {
    name: "access modes must be a superset: RWX volume does not serve a RWO+RWX claim without RWO",
    claim: pvc("c", "1Gi", { modes: ["ReadWriteOnce", "ReadWriteMany"] }),
    volumes: [pv("rwx", "1Gi", { modes: ["ReadWriteMany"] })],
    want: undefined,
  },
  {
    name: "a RWO+ROX volume serves a RWO claim",
    claim: pvc("c", "1Gi"),
    volumes: [pv("both", "1Gi", { modes: ["ReadWriteOnce", "ReadOnlyMany"] })],
    want: "both",
  },
  {
    name: "the exact access-mode set is tried before a larger one, even if bigger",
    claim: pvc("c", "1Gi"),
    volumes: [pv("both", "1Gi", { modes: ["ReadWriteOnce", "ReadOnlyMany"] }), pv("rwo", "10Gi")],
    want: "rwo",
  },
  {
    name: "a ROX claim does not take a RWO-only volume",
    claim: pvc("c", "1Gi", { modes: ["ReadOnlyMany"] }),
    volumes: [pv("rwo", "1Gi")],
    want: undefined,
  },
  {
    name: "ReadWriteOncePod is its own mode",
    claim: pvc("c", "1Gi", { modes: ["ReadWriteOncePod"] }),
    volumes: [pv("rwo", "1Gi"), pv("rwop", "1Gi", { modes: ["ReadWriteOncePod"] })],
    want: "rwop",
  },
  {
    name: "volumeMode must match: Block claim skips Filesystem volumes",
    claim: pvc("c", "1Gi", { volumeMode: "Block" }),
    volumes: [pv("fs", "1Gi"), pv("blk", "2Gi", { volumeMode: "Block" })],
    want: "blk",
  },
  {
    name: "unset volumeMode is Filesystem on both sides",
    claim: pvc("c", "1Gi", { volumeMode: "Filesystem" }),
    volumes: [pv("unset", "1Gi")],
    want: "unset",
  },
  {
    name: "a Filesystem claim skips Block volumes",
    claim: pvc("c", "1Gi"),
    volumes: [pv("blk", "1Gi", { volumeMode: "Block" })],
    want: undefined,
  },
  {
    name: "matchLabels selector filters volumes",
    claim: pvc("c", "1Gi", { selector: { matchLabels: { tier: "db" } } }),
    volumes: [pv("web", "1Gi", { labels: { tier: "web" } }), pv("db", "2Gi", { labels: { tier: "db" } })],
    want: "db",
  },
  {
    name: "matchExpressions NotIn selector filters volumes",
    claim: pvc("c", "1Gi", { selector: { matchExpressions: [{ key: "tier", operator: "NotIn", values: ["web"] }] } }),
    volumes: [pv("web", "1Gi", { labels: { tier: "web" } }), pv("db", "2Gi", { labels: { tier: "db" } })],
    want: "db",
  },
  {
    name: "a selector matches no unlabelled volume",
    claim: pvc("c", "1Gi", { selector: { matchExpressions: [{ key: "tier", operator: "Exists" }] } }),
    volumes: [pv("plain", "1Gi")],
    want: undefined,
  },
  {
    name: "an empty selector matches every volume",
    claim: pvc("c", "1Gi", { selector: {} }),
    volumes: [pv("plain", "1Gi")],
    want: "plain",
  },
  {
    name: "class must be equal: a gold claim skips classless volumes",
    claim: pvc("c", "1Gi", { className: "gold" }),
    volumes: [pv("none", "1Gi"), pv("gold", "5Gi", { className: "gold" })],
    want: "gold",
  },
  {
    name: 'a claim with class "" only takes volumes without a class',
    claim: pvc("c", "1Gi", { className: "" }),
    volumes: [pv("gold", "1Gi", { className: "gold" })],
    want: undefined,
  },
  {
    name: 'a claim with no class at all is matched as class ""',
    claim: pvc("c", "1Gi", { className: null }),
    volumes: [pv("none", "1Gi")],
    want: "none",
  },
  {
    name: "the beta class annotation on the claim wins over spec.storageClassName",
    claim: pvc("c", "1Gi", { className: "gold", betaClass: "silver" }),
    volumes: [pv("gold", "1Gi", { className: "gold" }), pv("silver", "1Gi", { className: "silver" })],
    want: "silver",
  },
  {
    name: "the beta class annotation on the volume counts as its class",
    claim: pvc("c", "1Gi", { className: "silver" }),
    volumes: [pv("beta", "1Gi", { betaClass: "silver" })],
    want: "beta",
  },
  {
    name: "only Available volumes are candidates (Released is not)",
    claim: pvc("c", "1Gi"),
    volumes: [pv("rel", "1Gi", { phase: "Released" }), pv("pending", "1Gi", { phase: "Pending" })],
    want: undefined,
  },
  {
    name: "a volume being deleted is not a candidate",
    claim: pvc("c", "1Gi"),
    volumes: [pv("del", "1Gi", { deleting: true }), pv("ok", "2Gi")],
    want: "ok",
  },
  {
    name: "delayed binding without a node returns only a pre-bound volume",
    claim: pvc("c", "1Gi"),
    volumes: [pv("free", "1Gi")],
    options: { delayBinding: true },
    want: undefined,
  },
  {
    name: "delayed binding still honours a volume pre-bound to the claim",
    claim: pvc("c", "1Gi"),
    volumes: [pv("mine", "1Gi", { claimRef: ref("c") })],
    options: { delayBinding: true },
    want: "mine",
  },
  {
    name: "with a node, node affinity must admit it",
    claim: pvc("c", "1Gi"),
    volumes: [
      pv("zone-b", "1Gi", { nodeAffinity: zoneAffinity("topology.kubernetes.io/zone", "In", ["b"]) }),
      pv("zone-a", "2Gi", { nodeAffinity: zoneAffinity("topology.kubernetes.io/zone", "In", ["a"]) }),
    ],
    options: { delayBinding: true, node: node1 },
    want: "zone-a",
  },
  {
    name: "with a node, a pre-bound volume whose affinity excludes it means no match",
    claim: pvc("c", "1Gi"),
    volumes: [
      pv("mine", "1Gi", { claimRef: ref("c"), nodeAffinity: zoneAffinity("kubernetes.io/hostname", "In", ["node-2"]) }),
      pv("free", "1Gi"),
    ],
    options: { node: node1 },
    want: undefined,
  },
  {
    name: "a volume without node affinity goes to any node",
    claim: pvc("c", "1Gi"),
    volumes: [pv("any", "1Gi")],
    options: { delayBinding: true, node: node1 },
    want: "any",
  },
];

for (const c of cases) {
  test(c.name, () => {
    assert.equal(findMatchingVolume(c.claim, c.volumes, c.options)?.metadata.name, c.want);
  });
}

for (const c of cases) {
  test(`the binder's index agrees: ${c.name}`, () => {
    const index = new VolumeIndex();
    for (const volume of c.volumes) index.upsert(volume);
    assert.equal(index.findBestMatch(c.claim, c.options)?.metadata.name, c.want);
  });
}

const affinityCases = [
  {
    name: "In admits a node with the value",
    affinity: zoneAffinity("topology.kubernetes.io/zone", "In", ["a", "b"]),
    want: true,
  },
  {
    name: "NotIn refuses a node with the value",
    affinity: zoneAffinity("topology.kubernetes.io/zone", "NotIn", ["a"]),
    want: false,
  },
  { name: "Exists needs the label", affinity: zoneAffinity("disk", "Exists"), want: false },
  { name: "DoesNotExist admits a node without the label", affinity: zoneAffinity("disk", "DoesNotExist"), want: true },
  { name: "Gt compares integers", affinity: zoneAffinity("cores", "Gt", ["4"]), want: true },
  { name: "Lt compares integers", affinity: zoneAffinity("cores", "Lt", ["4"]), want: false },
  { name: "an empty term admits no node", affinity: { required: { nodeSelectorTerms: [{}] } }, want: false },
  {
    name: "terms are ORed",
    affinity: {
      required: {
        nodeSelectorTerms: [
          { matchExpressions: [{ key: "x", operator: "Exists" as const }] },
          { matchFields: [{ key: "metadata.name", operator: "In" as const, values: ["node-1"] }] },
        ],
      },
    },
    want: true,
  },
];
for (const c of affinityCases) {
  test(`node affinity: ${c.name}`, () => {
    assert.equal(checkNodeAffinity(pv("v", "1Gi", { nodeAffinity: c.affinity }), node1), c.want);
  });
}

test("the index agrees with itself after volumes are bound, released and removed", () => {
  const index = new VolumeIndex();
  for (let i = 0; i < 50; i++) index.upsert(pv(`v${i}`, `${(i % 5) + 1}Gi`));
  const claim = pvc("c", "3Gi");
  const first = index.findBestMatch(claim);
  assert.equal(first?.spec.capacity?.storage, "3Gi");
  // bound elsewhere: the volume is no longer offered
  const taken = structuredClone(first!) as PersistentVolume;
  taken.spec.claimRef = ref("other", "uid-other");
  taken.metadata.resourceVersion = "2";
  index.upsert(taken);
  const second = index.findBestMatch(claim);
  assert.notEqual(second?.metadata.name, first?.metadata.name);
  assert.equal(second?.spec.capacity?.storage, "3Gi");
  // an older copy of the volume (a late watch event) does not undo the binding
  assert.equal(index.upsert(pv(first!.metadata.name!, "3Gi")), false);
  index.remove(second!.metadata.name!);
  assert.ok(index.findBestMatch(claim)?.metadata.name !== second?.metadata.name);
});

test("an assumed binding hides the volume until the write fails, then it is offered again", () => {
  const index = new VolumeIndex();
  index.upsert(pv("only", "1Gi"));
  const claim = pvc("c", "1Gi");
  const picked = index.findBestMatch(claim)!;
  const next = structuredClone(picked) as PersistentVolume;
  next.spec.claimRef = ref("c", "uid-c");
  const revert = index.assume(next);
  assert.equal(index.findBestMatch(pvc("d", "1Gi")), undefined);
  // a resync re-delivering the unchanged object keeps the assumption
  index.upsert(pv("only", "1Gi"));
  assert.equal(index.findBestMatch(pvc("d", "1Gi")), undefined);
  revert();
  assert.equal(index.findBestMatch(pvc("d", "1Gi"))?.metadata.name, "only");
});

test("a volume deleted while our write was in flight is not revived by the write's late answer", () => {
  const index = new VolumeIndex();
  const at = (rv: string) => ({ ...pv("v", "1Gi"), metadata: { ...pv("v", "1Gi").metadata, resourceVersion: rv } });
  index.upsert(at("3"));
  index.remove("v", at("5")); // the DELETED event
  assert.equal(index.upsert(at("4")), false); // our write's answer, from before the deletion
  assert.equal(index.get("v"), undefined);
  assert.equal(index.upsert(at("6")), true); // re-created since
  assert.equal(index.get("v")?.metadata.resourceVersion, "6");
});

test("hundreds of volumes of one size go to hundreds of claims, each volume once", () => {
  const index = new VolumeIndex();
  for (let i = 0; i < 300; i++) index.upsert(pv(`v${i}`, "1Gi"));
  const picked = new Set<string>();
  for (let i = 0; i < 300; i++) {
    const volume = index.findBestMatch(pvc(`c${i}`, "1Gi"));
    assert.ok(volume, `claim c${i} finds a volume`);
    assert.ok(!picked.has(volume.metadata.name!), `${volume.metadata.name} is offered only once`);
    picked.add(volume.metadata.name!);
    const bound = structuredClone(volume) as PersistentVolume;
    bound.spec.claimRef = ref(`c${i}`, `uid-c${i}`);
    bound.metadata.resourceVersion = "2";
    assert.equal(index.upsert(bound), true);
  }
  assert.equal(index.findBestMatch(pvc("one-too-many", "1Gi")), undefined);
});
