// Stuck objects, one per row: the snapshot of the cluster, THE step that blocks the object and the reason it must
// name. Upstream's words where upstream has them (pv_controller, external-provisioner, scheduler, attach-detach).
import assert from "node:assert/strict";
import test from "node:test";
import { claim, ref, storageClass, volume, affinity } from "../storagerules/testing/fixtures.js";
import type { ClusterObjects } from "./cluster.js";
import { explain, ExplainError, parseTarget, type ExplainKind } from "./explain.js";
import {
  attachment,
  boundClaim,
  capacity,
  cluster,
  csiDriver,
  csiNode,
  csiVolume,
  driver,
  event,
  lease,
  node,
  pod,
  snapshot,
  snapshotClass,
  statefulSet,
} from "./testing/objects.js";

const running = [csiDriver(), csiNode("node-a", driver), node("node-a")];
const gold = { ...storageClass("gold"), provisioner: driver };
const late = { ...storageClass("late", { mode: "WaitForFirstConsumer" }), provisioner: driver };
const local = {
  ...storageClass("local", { mode: "WaitForFirstConsumer" }),
  provisioner: "kubernetes.io/no-provisioner",
};
const restored = () => {
  const c = claim("restored", "1Gi", { className: "gold" });
  c.spec.dataSource = { apiGroup: "snapshot.storage.k8s.io", kind: "VolumeSnapshot", name: "snap" };
  return c;
};
const selected = (c: ReturnType<typeof claim>, nodeName: string) => {
  c.metadata.annotations = { "volume.kubernetes.io/selected-node": nodeName };
  return c;
};
/** A volume of a CSI driver nothing installs, and its VolumeAttachment. */
const ghostVolume = () => {
  const v = csiVolume("pv-1", "data");
  v.spec.csi = { driver: "ghost.csi.example.com", volumeHandle: "h" };
  return v;
};
const ghostAttachment = () => {
  const va = attachment("pv-1", "node-a", { attached: false });
  va.spec.attacher = "ghost.csi.example.com";
  return va;
};
/** The claim asks for its volume by name (spec.volumeName). */
const naming = (c: ReturnType<typeof claim>, volumeName: string) => {
  c.spec.volumeName = volumeName;
  return c;
};
const terminating = <T extends { metadata: { deletionTimestamp?: string } }>(o: T): T => {
  o.metadata.deletionTimestamp = "2026-06-01T11:00:00Z";
  return o;
};
const released = () => {
  const v = volume("old", "1Gi", { phase: "Released", claimRef: ref("gone", "uid-gone") });
  v.spec.persistentVolumeReclaimPolicy = "Retain";
  return v;
};
const failed = () => {
  const v = volume("broken", "1Gi", { phase: "Failed", claimRef: ref("gone", "uid-gone") });
  v.status = {
    phase: "Failed",
    message: 'error getting deleter volume plugin for volume "broken": no deletable volume plugin matched',
  };
  return v;
};

interface Case {
  name: string;
  cluster: ClusterObjects;
  target: [ExplainKind, string];
  step: string;
  reason: string;
  says: RegExp;
  state?: "blocked" | "waiting";
}

const cases: Case[] = [
  // ---- PersistentVolumeClaim
  {
    name: "a claim whose StorageClass does not exist",
    cluster: cluster(claim("data", "1Gi", { className: "gold" })),
    target: ["PersistentVolumeClaim", "data"],
    step: "class",
    reason: "StorageClassNotFound",
    says: /storageclass\.storage\.k8s\.io "gold" not found/,
  },
  {
    name: "a claim without a class and no volume at all",
    cluster: cluster(claim("data", "1Gi", { className: "" })),
    target: ["PersistentVolumeClaim", "data"],
    step: "binding",
    reason: "NoMatchingVolume",
    says: /no persistent volumes available for this claim and no storage class is set/,
  },
  {
    name: "a claim without a class that no volume fits",
    cluster: cluster(claim("data", "5Gi", { className: "" }), volume("small", "1Gi", { className: "" })),
    target: ["PersistentVolumeClaim", "data"],
    step: "binding",
    reason: "NoMatchingVolume",
    says: /1 volume checked, none fits/,
  },
  {
    name: "a claim whose provisioner is nowhere to be seen",
    cluster: cluster(gold, claim("data", "1Gi", { className: "gold" })),
    target: ["PersistentVolumeClaim", "data"],
    step: "provisioner",
    reason: "ProvisionerNotRunning",
    says: /no provisioner for hostpath\.csi\.k8s\.io is running/,
  },
  {
    name: "a claim whose provisioner's Lease expired",
    cluster: cluster(
      gold,
      claim("data", "1Gi", { className: "gold" }),
      lease("hostpath-csi-k8s-io", "2026-06-01T11:00:00Z"),
    ),
    target: ["PersistentVolumeClaim", "data"],
    step: "provisioner",
    reason: "ProvisionerNotRunning",
    says: /Lease default\/hostpath-csi-k8s-io expired/,
  },
  {
    name: "a claim the provisioner failed on",
    cluster: cluster(
      gold,
      ...running,
      claim("data", "1Gi", { className: "gold" }),
      event(claim("data", "1Gi"), "ProvisioningFailed", "rpc error: code = ResourceExhausted desc = out of space"),
    ),
    target: ["PersistentVolumeClaim", "data"],
    step: "provisioner",
    reason: "ProvisioningFailed",
    says: /out of space/,
  },
  {
    name: "a claim being provisioned is waiting, not stuck",
    cluster: cluster(gold, ...running, claim("data", "1Gi", { className: "gold" })),
    target: ["PersistentVolumeClaim", "data"],
    step: "provisioner",
    reason: "Provisioning",
    says: /waiting for hostpath\.csi\.k8s\.io to create the volume/,
    state: "waiting",
  },
  {
    name: "a WaitForFirstConsumer claim no pod uses",
    cluster: cluster(late, ...running, claim("data", "1Gi", { className: "late" })),
    target: ["PersistentVolumeClaim", "data"],
    step: "scheduling",
    reason: "WaitForFirstConsumer",
    says: /waiting for first consumer to be created before binding/,
    state: "waiting",
  },
  {
    name: "a WaitForFirstConsumer claim whose pod cannot be scheduled",
    cluster: cluster(
      late,
      ...running,
      claim("data", "1Gi", { className: "late" }),
      pod("app", {
        claims: ["data"],
        unschedulable: "0/1 nodes are available: 1 node(s) had untolerated taint {dedicated: db}.",
      }),
    ),
    target: ["PersistentVolumeClaim", "data"],
    step: "scheduling",
    reason: "WaitForPodScheduled",
    says: /waiting for pod app to be scheduled: 0\/1 nodes are available/,
  },
  {
    name: "a WaitForFirstConsumer claim with no capacity published anywhere",
    cluster: cluster(
      late,
      csiDriver(driver, { storageCapacity: true }),
      csiNode("node-a", driver),
      node("node-a"),
      claim("data", "1Gi", { className: "late" }),
    ),
    target: ["PersistentVolumeClaim", "data"],
    step: "capacity",
    reason: "NotEnoughCapacity",
    says: /no CSIStorageCapacity of class "late"/,
  },
  {
    name: "a claim bigger than the selected node's capacity",
    cluster: cluster(
      late,
      csiDriver(driver, { storageCapacity: true }),
      csiNode("node-a", driver),
      node("node-a"),
      capacity("cap-a", "late", "1Gi", "node-a"),
      selected(claim("data", "10Gi", { className: "late" }), "node-a"),
    ),
    target: ["PersistentVolumeClaim", "data"],
    step: "capacity",
    reason: "NotEnoughCapacity",
    says: /reachable from node node-a has room for 10Gi/,
  },
  {
    name: "a restore from a snapshot that is not ready to use",
    cluster: cluster(gold, ...running, restored(), snapshot("snap")),
    target: ["PersistentVolumeClaim", "restored"],
    step: "snapshot",
    reason: "SnapshotNotReady",
    says: /snapshot snap is not Ready/,
  },
  {
    name: "a restore from a snapshot that does not exist",
    cluster: cluster(gold, ...running, restored()),
    target: ["PersistentVolumeClaim", "restored"],
    step: "snapshot",
    reason: "SnapshotNotFound",
    says: /volumesnapshots\.snapshot\.storage\.k8s\.io "snap" not found/,
  },
  {
    name: "a claim naming a volume that does not exist",
    cluster: cluster(naming(claim("data", "1Gi", { className: "" }), "pv-x")),
    target: ["PersistentVolumeClaim", "data"],
    step: "binding",
    reason: "VolumeNotFound",
    says: /PersistentVolume pv-x, which does not exist/,
  },
  {
    name: "a claim naming a volume that is too small",
    cluster: cluster(naming(claim("data", "5Gi"), "small"), volume("small", "1Gi")),
    target: ["PersistentVolumeClaim", "data"],
    step: "binding",
    reason: "VolumeMismatch",
    says: /Cannot bind to requested volume "small": requested PV is too small/,
  },
  {
    name: "a claim naming a volume bound to another claim",
    cluster: cluster(
      naming(claim("data", "1Gi"), "taken"),
      volume("taken", "1Gi", { phase: "Bound", claimRef: ref("other", "uid-other") }),
    ),
    target: ["PersistentVolumeClaim", "data"],
    step: "binding",
    reason: "VolumeBoundToAnotherClaim",
    says: /already bound to a different claim \(default\/other\)/,
  },
  {
    name: "a claim being deleted while a pod uses it",
    cluster: cluster(
      terminating(boundClaim("data", "pv-1")),
      pod("app", { claims: ["data"], nodeName: "node-a", phase: "Running" }),
    ),
    target: ["PersistentVolumeClaim", "data"],
    step: "pods",
    reason: "ClaimInUse",
    says: /kubernetes\.io\/pvc-protection keeps it while pods use it: app/,
  },
  {
    name: "a local claim whose only volume lives on another node",
    cluster: cluster(
      local,
      node("node-a"),
      node("node-b"),
      selected(claim("data", "1Gi", { className: "local" }), "node-a"),
      volume("local-b", "1Gi", {
        className: "local",
        nodeAffinity: affinity("kubernetes.io/hostname", "In", ["node-b"]),
      }),
    ),
    target: ["PersistentVolumeClaim", "data"],
    step: "binding",
    reason: "NoMatchingVolume",
    says: /class "local" has no provisioner/,
  },
  // ---- Pod
  {
    name: "a pod whose claim does not exist",
    cluster: cluster(pod("app", { claims: ["data"] })),
    target: ["Pod", "app"],
    step: "binding",
    reason: "ClaimNotFound",
    says: /persistentvolumeclaim "data" not found/,
  },
  {
    name: "a pod whose claim's class does not exist",
    cluster: cluster(pod("app", { claims: ["data"] }), claim("data", "1Gi", { className: "gold" })),
    target: ["Pod", "app"],
    step: "class",
    reason: "StorageClassNotFound",
    says: /claim data: storageclass\.storage\.k8s\.io "gold" not found/,
  },
  {
    name: "a pod blocked by attach limits",
    cluster: cluster(
      ...running,
      csiVolume("pv-1", "data"),
      boundClaim("data", "pv-1"),
      pod("app", { claims: ["data"], unschedulable: "0/1 nodes are available: 1 node(s) exceed max volume count." }),
    ),
    target: ["Pod", "app"],
    step: "scheduling",
    reason: "AttachLimitExceeded",
    says: /exceed max volume count/,
  },
  {
    name: "a pod whose bound volume cannot reach any node",
    cluster: cluster(
      ...running,
      csiVolume("pv-1", "data"),
      boundClaim("data", "pv-1"),
      pod("app", {
        claims: ["data"],
        unschedulable: "0/1 nodes are available: 1 node(s) had volume node affinity conflict.",
      }),
    ),
    target: ["Pod", "app"],
    step: "scheduling",
    reason: "VolumeNodeAffinityConflict",
    says: /volume node affinity conflict/,
  },
  {
    name: "a pod on a node that stopped reporting",
    cluster: cluster(csiDriver(), node("node-a", false), pod("app", { nodeName: "node-a" })),
    target: ["Pod", "app"],
    step: "node",
    reason: "NodeNotReady",
    says: /node node-a is not Ready/,
  },
  {
    name: "a RollingUpdate Deployment's new pod while the old pod holds the RWO volume on another node",
    cluster: cluster(
      ...running,
      node("node-b"),
      csiNode("node-b", driver),
      csiVolume("pv-1", "data"),
      boundClaim("data", "pv-1"),
      attachment("pv-1", "node-a"),
      pod("web-7d4b9-abcde", {
        claims: ["data"],
        nodeName: "node-a",
        phase: "Running",
        labels: { "pod-template-hash": "7d4b9" },
        owner: { kind: "ReplicaSet", name: "web-7d4b9" },
      }),
      pod("web-5f6c8-fghij", {
        claims: ["data"],
        nodeName: "node-b",
        labels: { "pod-template-hash": "5f6c8" },
        owner: { kind: "ReplicaSet", name: "web-5f6c8" },
      }),
    ),
    target: ["Pod", "web-5f6c8-fghij"],
    step: "attach",
    reason: "MultiAttach",
    says: /Multi-Attach error for volume "pv-1": Volume is already used by pod\(s\) web-7d4b9-abcde on node node-a/,
  },
  {
    name: "a pod whose volume the driver fails to attach",
    cluster: cluster(
      ...running,
      csiVolume("pv-1", "data"),
      boundClaim("data", "pv-1"),
      attachment("pv-1", "node-a", {
        attached: false,
        attachError: { message: "rpc error: code = NotFound desc = volume handle-pv-1 not found" },
      }),
      pod("app", { claims: ["data"], nodeName: "node-a" }),
    ),
    target: ["Pod", "app"],
    step: "attach",
    reason: "AttachFailed",
    says: /AttachVolume\.Attach failed for volume "pv-1" : rpc error/,
  },
  {
    name: "a pod with an inline CSI volume of a driver no node runs",
    cluster: cluster(...running, pod("app", { nodeName: "node-a", inlineDriver: "nfs.csi.example.com" })),
    target: ["Pod", "app"],
    step: "stage",
    reason: "DriverNotRegistered",
    says: /driver name nfs\.csi\.example\.com not found in the list of registered CSI drivers/,
  },
  {
    name: "a pod whose volume fails to stage",
    cluster: cluster(
      ...running,
      csiVolume("pv-1", "data"),
      boundClaim("data", "pv-1"),
      attachment("pv-1", "node-a"),
      pod("app", { claims: ["data"], nodeName: "node-a" }),
      event(
        pod("app"),
        "FailedMount",
        'MountVolume.MountDevice failed for volume "pv-1" : rpc error: code = Internal desc = mkfs failed',
      ),
    ),
    target: ["Pod", "app"],
    step: "stage",
    reason: "MountFailed",
    says: /MountDevice failed/,
  },
  {
    name: "a pod whose container keeps crashing",
    cluster: cluster(...running, pod("app", { nodeName: "node-a", phase: "Running", waiting: "CrashLoopBackOff" })),
    target: ["Pod", "app"],
    step: "container",
    reason: "CrashLoopBackOff",
    says: /container app is waiting: CrashLoopBackOff/,
  },
  {
    name: "a pod whose node is chosen but whose claim's provisioner is not running",
    cluster: cluster(
      late,
      node("node-a"),
      selected(claim("data", "1Gi", { className: "late" }), "node-a"),
      pod("app", { claims: ["data"] }),
    ),
    target: ["Pod", "app"],
    step: "provisioner",
    reason: "ProvisionerNotRunning",
    says: /claim data: no provisioner for hostpath\.csi\.k8s\.io is running/,
  },
  {
    name: "a pod whose volume's driver is installed nowhere, so nothing attaches it",
    cluster: cluster(
      node("node-a"),
      ghostVolume(),
      boundClaim("data", "pv-1"),
      ghostAttachment(),
      pod("app", { claims: ["data"], nodeName: "node-a" }),
    ),
    target: ["Pod", "app"],
    step: "attach",
    reason: "AttacherNotRunning",
    says: /nothing attaches volume "pv-1": there is no CSIDriver ghost\.csi\.example\.com/,
  },
  {
    name: "a pod whose volume is being attached by a running attacher is waiting, not stuck",
    cluster: cluster(
      ...running,
      csiVolume("pv-1", "data"),
      boundClaim("data", "pv-1"),
      attachment("pv-1", "node-a", { attached: false }),
      pod("app", { claims: ["data"], nodeName: "node-a" }),
    ),
    target: ["Pod", "app"],
    step: "attach",
    reason: "Attaching",
    says: /waiting for the csi-attacher of hostpath\.csi\.k8s\.io to attach pv-1 to node-a/,
    state: "waiting",
  },
  // ---- PersistentVolume, VolumeAttachment, VolumeSnapshot, StatefulSet
  {
    name: "a released volume kept by its Retain policy",
    cluster: cluster(released()),
    target: ["PersistentVolume", "old"],
    step: "reclaim",
    reason: "Retained",
    says: /reclaim policy is Retain/,
  },
  {
    name: "a volume whose reclaim failed",
    cluster: cluster(failed()),
    target: ["PersistentVolume", "broken"],
    step: "reclaim",
    reason: "VolumeFailed",
    says: /no deletable volume plugin matched/,
  },
  {
    name: "a VolumeAttachment the driver refuses",
    cluster: cluster(
      node("node-a"),
      attachment("pv-1", "node-a", {
        attached: false,
        attachError: { message: "rpc error: code = ResourceExhausted desc = too many volumes" },
      }),
    ),
    target: ["VolumeAttachment", "csi-pv-1-node-a"],
    step: "attach",
    reason: "AttachFailed",
    says: /too many volumes/,
  },
  {
    name: "a snapshot of a claim that does not exist",
    cluster: cluster(snapshotClass("csi"), snapshot("snap", { claim: "nope" })),
    target: ["VolumeSnapshot", "snap"],
    step: "snapshot",
    reason: "SourceClaimNotFound",
    says: /source claim nope does not exist/,
  },
  {
    name: "a snapshot naming a class that does not exist",
    cluster: cluster(boundClaim("data", "pv-1"), snapshot("snap", { className: "fast" })),
    target: ["VolumeSnapshot", "snap"],
    step: "class",
    reason: "SnapshotClassNotFound",
    says: /volumesnapshotclass\.snapshot\.storage\.k8s\.io "fast" not found/,
  },
  {
    name: "a snapshot the driver failed to cut",
    cluster: cluster(
      boundClaim("data", "pv-1"),
      snapshotClass("csi"),
      snapshot("snap", { error: "Failed to create snapshot: rpc error: code = Internal" }),
    ),
    target: ["VolumeSnapshot", "snap"],
    step: "snapshot",
    reason: "SnapshotError",
    says: /Failed to create snapshot/,
  },
  {
    name: "a StatefulSet whose first pod waits on a claim of a missing class",
    cluster: cluster(
      statefulSet("web", 2),
      pod("web-0", { claims: ["data-web-0"] }),
      claim("data-web-0", "1Gi", { className: "gold" }),
    ),
    target: ["StatefulSet", "web"],
    step: "class",
    reason: "StorageClassNotFound",
    says: /pod web-0: claim data-web-0: storageclass\.storage\.k8s\.io "gold" not found/,
  },
  {
    name: "a StatefulSet that cannot create its pod",
    cluster: cluster(
      statefulSet("web", 1),
      event(
        statefulSet("web", 1),
        "FailedCreate",
        'create Pod web-0 in StatefulSet web failed error: pods "web-0" is forbidden: violates PodSecurity "restricted:latest"',
      ),
    ),
    target: ["StatefulSet", "web"],
    step: "pods",
    reason: "FailedCreate",
    says: /violates PodSecurity/,
  },
];

for (const c of cases) {
  test(`explain names the step and reason for ${c.name}`, () => {
    const [kind, name] = c.target;
    const got = explain(c.cluster, {
      kind,
      name,
      ...(kind === "PersistentVolume" || kind === "VolumeAttachment" ? {} : { namespace: "default" }),
    });
    assert.ok(got.blocking, `expected a blocking step, got ${JSON.stringify(got, null, 2)}`);
    assert.deepEqual([got.blocking.step, got.blocking.reason], [c.step, c.reason], got.blocking.message);
    assert.match(got.blocking.message, c.says);
    assert.ok(got.blocking.fix.length > 0, "every verdict says what to do");
    const link = got.chain.find((l) => l.step === c.step && l.state !== "done" && l.state !== "later");
    assert.equal(link?.state, c.state ?? "blocked");
  });
}

test("there are at least twenty stuck objects in the table", () => assert.ok(cases.length >= 20));

test("a running pod with its volume attached and mounted has nothing blocking it", () => {
  const c = cluster(
    ...running,
    csiVolume("pv-1", "data"),
    boundClaim("data", "pv-1"),
    attachment("pv-1", "node-a"),
    pod("app", { claims: ["data"], nodeName: "node-a", phase: "Running" }),
  );
  const got = explain(c, { kind: "Pod", name: "app", namespace: "default" });
  assert.equal(got.blocking, undefined);
  assert.equal(got.state, "Running on node-a");
  assert.deepEqual(
    got.chain.map((l) => [l.step, l.state]),
    [
      ["scheduling", "done"],
      ["node", "done"],
      ["attach", "done"],
      ["stage", "done"],
      ["publish", "done"],
      ["container", "done"],
    ],
  );
});

test("a bound claim stands Bound to its volume", () => {
  const got = explain(cluster(boundClaim("data", "pv-1")), {
    kind: "PersistentVolumeClaim",
    name: "data",
    namespace: "default",
  });
  assert.equal(got.state, "Bound to pv-1");
  assert.equal(got.blocking, undefined);
});

const targets: Array<[args: string[], kind: ExplainKind, name: string]> = [
  [["pvc/data"], "PersistentVolumeClaim", "data"],
  [["PersistentVolumeClaim/data"], "PersistentVolumeClaim", "data"],
  [["persistentvolumeclaims", "data"], "PersistentVolumeClaim", "data"],
  [["po/app"], "Pod", "app"],
  [["pv/pv-1"], "PersistentVolume", "pv-1"],
  [["volumeattachments.storage.k8s.io/csi-1"], "VolumeAttachment", "csi-1"],
  [["vs/snap"], "VolumeSnapshot", "snap"],
  [["sts/web"], "StatefulSet", "web"],
  [["statefulsets.apps/web"], "StatefulSet", "web"],
];
for (const [args, kind, name] of targets) {
  test(`explain reads ${args.join(" ")} as kubectl does`, () => {
    const target = parseTarget(args, "ns1");
    assert.deepEqual([target.kind, target.name], [kind, name]);
    const clusterScoped = kind === "PersistentVolume" || kind === "VolumeAttachment";
    assert.equal(target.namespace, clusterScoped ? undefined : "ns1");
  });
}

test("an unknown kind, a bad argument and a missing object are refused with what to fix", () => {
  assert.throws(() => parseTarget(["deploy/web"], "default"), ExplainError);
  assert.throws(() => parseTarget(["deploy/web"], "default"), /doesn't have a resource type "deploy".*kinds: pvc/);
  assert.throws(() => parseTarget(["pvc"], "default"), /expected <kind>\/<name>/);
  assert.throws(() => parseTarget(["pvc/"], "default"), /the name must be one non-empty name/);
  assert.throws(
    () => explain(cluster(), { kind: "PersistentVolumeClaim", name: "nope", namespace: "default" }),
    /persistentvolumeclaims "nope" not found in namespace "default"/,
  );
});
