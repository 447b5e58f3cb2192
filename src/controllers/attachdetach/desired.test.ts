// Which nodes need a volume attached, case by case as upstream's desired state of the world decides it
// (ProcessPodVolumes, DetermineVolumeAction, the CSI plugin's CanAttach, getPVCFromCache's checks).
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Node, PersistentVolume, PersistentVolumeClaim, Pod } from "../../api/core/types.js";
import type { CSIDriver } from "../../api/storage/types.js";
import type { KubeObject } from "../../api/meta.js";
import { keyOf, type Lister } from "../../client/index.js";
import { claimNamesOf, podClaimIndex } from "../common/podindex.js";
import { desiredNodes, podIsTerminated } from "./desired.js";

/** A lister over a fixed list (what an informer's cache answers), with the pod-claim index. */
function lister<T extends KubeObject>(objects: T[]): Lister<T> {
  return {
    get: (key) => objects.find((o) => keyOf(o) === key),
    list: () => objects,
    keys: () => objects.map((o) => keyOf(o)),
    byIndex: (index, value) => {
      assert.equal(index, podClaimIndex);
      return objects.filter((o) =>
        claimNamesOf(o as unknown as Pod).some((c) => `${o.metadata.namespace}/${c}` === value),
      );
    },
  };
}

const volume: PersistentVolume = {
  apiVersion: "v1",
  kind: "PersistentVolume",
  metadata: { name: "pv-1" },
  spec: {
    accessModes: ["ReadWriteOnce"],
    claimRef: { namespace: "default", name: "data", uid: "claim-uid" },
    csi: { driver: "block.csi.stowage.dev", volumeHandle: "vol-1" },
  },
};
const claim = (
  extra: Partial<PersistentVolumeClaim["status"]> = { phase: "Bound" },
  uid = "claim-uid",
): PersistentVolumeClaim => ({
  apiVersion: "v1",
  kind: "PersistentVolumeClaim",
  metadata: { name: "data", namespace: "default", uid },
  spec: { volumeName: "pv-1" },
  status: extra,
});
const pod = (name: string, node: string | undefined, extra: Partial<Pod> = {}): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: {
    name,
    namespace: "default",
    uid: `uid-${name}`,
    creationTimestamp: `2026-01-01T00:00:0${name.slice(-1)}Z`,
    ...extra.metadata,
  },
  spec: {
    nodeName: node,
    containers: [{ name: "c", image: "i" }],
    volumes: [{ name: "v", persistentVolumeClaim: { claimName: "data" } }],
  },
  status: extra.status,
});
const node = (name: string): Node => ({ apiVersion: "v1", kind: "Node", metadata: { name } });
const driver = (attachRequired?: boolean): CSIDriver => ({
  apiVersion: "storage.k8s.io/v1",
  kind: "CSIDriver",
  metadata: { name: "block.csi.stowage.dev" },
  spec: attachRequired === undefined ? {} : { attachRequired },
});

const cases: {
  name: string;
  pods: Pod[];
  claims?: PersistentVolumeClaim[];
  drivers?: CSIDriver[];
  volume?: PersistentVolume;
  want: Record<string, string[]>;
}[] = [
  {
    name: "a scheduled pod needs its bound claim's volume on its node",
    pods: [pod("a1", "node-1")],
    want: { "node-1": ["a1"] },
  },
  {
    name: "no CSIDriver object means attach is required",
    pods: [pod("a1", "node-1")],
    drivers: [],
    want: { "node-1": ["a1"] },
  },
  {
    name: "a CSIDriver with attachRequired unset requires attach",
    pods: [pod("a1", "node-1")],
    drivers: [driver()],
    want: { "node-1": ["a1"] },
  },
  {
    name: "a CSIDriver with attachRequired: false needs no attach",
    pods: [pod("a1", "node-1")],
    drivers: [driver(false)],
    want: {},
  },
  { name: "an unscheduled pod needs nothing yet", pods: [pod("a1", undefined)], want: {} },
  { name: "a pod on a node that does not exist is skipped", pods: [pod("a1", "node-9")], want: {} },
  { name: "a Succeeded pod lets go", pods: [pod("a1", "node-1", { status: { phase: "Succeeded" } })], want: {} },
  {
    name: "a deleted pod with no running container lets go",
    pods: [pod("a1", "node-1", { metadata: { deletionTimestamp: "2026-01-01T00:00:00Z" } })],
    want: {},
  },
  {
    name: "a deleted pod whose container still runs keeps it",
    pods: [
      pod("a1", "node-1", {
        metadata: { deletionTimestamp: "2026-01-01T00:00:00Z" },
        status: {
          containerStatuses: [
            { name: "c", ready: true, restartCount: 0, image: "i", imageID: "", state: { running: {} } },
          ],
        },
      }),
    ],
    want: { "node-1": ["a1"] },
  },
  {
    name: "a claim not yet Bound attaches nothing",
    pods: [pod("a1", "node-1")],
    claims: [claim({ phase: "Pending" })],
    want: {},
  },
  {
    name: "a claim that is not the one the PV's claimRef names attaches nothing",
    pods: [pod("a1", "node-1")],
    claims: [claim({ phase: "Bound" }, "other-uid")],
    want: {},
  },
  {
    name: "a PV without a CSI source is not attached by this controller",
    pods: [pod("a1", "node-1")],
    volume: { ...volume, spec: { ...volume.spec, csi: undefined } },
    want: {},
  },
  {
    name: "pods on two nodes: both nodes, oldest pod's node first",
    pods: [pod("a3", "node-1"), pod("a2", "node-2"), pod("a1", "node-1")],
    want: { "node-1": ["a1", "a3"], "node-2": ["a2"] },
  },
];
for (const c of cases) {
  test(c.name, () => {
    const ctx = {
      pods: lister(c.pods),
      claims: lister(c.claims ?? [claim()]),
      nodes: lister([node("node-1"), node("node-2")]),
      csiDrivers: lister(c.drivers ?? []),
    };
    const got = Object.fromEntries(
      [...desiredNodes(ctx, c.volume ?? volume)].map(([n, pods]) => [n, pods.map((p) => p.metadata.name)]),
    );
    assert.deepEqual(got, c.want);
    assert.deepEqual(Object.keys(got), Object.keys(c.want)); // order: the node that asked first
  });
}

test("a Failed pod is terminated; a running one is not", () => {
  assert.equal(podIsTerminated(pod("a1", "n", { status: { phase: "Failed" } })), true);
  assert.equal(podIsTerminated(pod("a1", "n", { status: { phase: "Running" } })), false);
});
