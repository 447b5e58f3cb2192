// Inline CSI volumes (spec.volumes[].csi) as the kubelet refuses them: a driver with no CSIDriver object, or one
// whose CSIDriver lists only Persistent, gets a FailedMount event in upstream's words at every retry, and the pod
// waits in ContainerCreating instead of sitting there with no word at all.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { CSIDriver } from "../api/storage/types.js";
import type { Lister } from "../client/index.js";
import { DRIVER_NAME } from "../e2e/parts.js";
import {
  csiDriverObject,
  deleteAllPods,
  eventually,
  pod,
  podEvents,
  startNodeTest,
  waitForPhase,
} from "../e2e/node.js";
import { ephemeralModeError } from "./plugins/csiephemeral.js";
import { lifecycleModeError } from "./plugins/csivolume.js";

function drivers(modes?: CSIDriver["spec"]["volumeLifecycleModes"]): Lister<CSIDriver> {
  const driver: CSIDriver = {
    apiVersion: "storage.k8s.io/v1",
    kind: "CSIDriver",
    metadata: { name: "d.example.com" },
    spec: { volumeLifecycleModes: modes },
  };
  return {
    get: (key) => (modes && key === "d.example.com" ? driver : undefined),
    list: () => (modes ? [driver] : []),
    byIndex: () => [],
    keys: () => (modes ? ["d.example.com"] : []),
  };
}

const cases: { name: string; modes?: CSIDriver["spec"]["volumeLifecycleModes"]; want: string | undefined }[] = [
  {
    name: "no CSIDriver object: only persistent volumes are assumed",
    want: 'volume mode "Ephemeral" not supported by driver d.example.com (no CSIDriver object)',
  },
  {
    name: "a CSIDriver listing only Persistent",
    modes: ["Persistent"],
    want: 'volume mode "Ephemeral" not supported by driver d.example.com (only supports ["Persistent"])',
  },
  { name: "a CSIDriver listing Ephemeral", modes: ["Persistent", "Ephemeral"], want: undefined },
];
for (const c of cases) {
  test(`inline volume mode check: ${c.name}`, () => {
    assert.equal(ephemeralModeError(drivers(c.modes), "d.example.com"), c.want);
  });
}

// The same check for a PV's volume (NewMounter): only a CSIDriver that leaves Persistent out refuses it.
const persistentCases: typeof cases = [
  { name: "no CSIDriver object: persistent volumes are assumed", want: undefined },
  { name: "a CSIDriver listing Persistent and Ephemeral", modes: ["Persistent", "Ephemeral"], want: undefined },
  {
    name: "a CSIDriver listing only Ephemeral",
    modes: ["Ephemeral"],
    want: 'volume mode "Persistent" not supported by driver d.example.com (only supports ["Ephemeral"])',
  },
];
for (const c of persistentCases) {
  test(`persistent volume mode check: ${c.name}`, () => {
    assert.equal(lifecycleModeError(drivers(c.modes), "d.example.com", "Persistent"), c.want);
  });
}

test("a pod with an inline CSI volume its driver cannot take gets upstream's FailedMount event and waits", async (t) => {
  const node = await startNodeTest(t);
  await csiDriverObject(node); // volumeLifecycleModes defaults to [Persistent]
  await node.client.pods.create(pod("no-driver", [{ name: "scratch", csi: { driver: "missing.csi.example.com" } }]));
  await node.client.pods.create(pod("persistent-only", [{ name: "cache", csi: { driver: DRIVER_NAME } }]));
  // a CSIDriver that takes inline volumes, for a driver this node has not registered
  await node.client.csiDrivers.create({
    apiVersion: "storage.k8s.io/v1",
    kind: "CSIDriver",
    metadata: { name: "inline.csi.example.com" },
    spec: { attachRequired: false, volumeLifecycleModes: ["Ephemeral"] },
  });
  await node.client.pods.create(pod("unregistered", [{ name: "tmp", csi: { driver: "inline.csi.example.com" } }]));
  await node.client.pods.create(pod("bystander", [{ name: "scratch", emptyDir: {} }]));
  await waitForPhase(node, "bystander", "Running");

  const missing = await eventually(async () =>
    (await podEvents(node, "no-driver")).find((e) => e.startsWith("FailedMount")),
  );
  assert.equal(
    missing,
    'FailedMount: MountVolume.NewMounter initialization failed for volume "scratch" : ' +
      'volume mode "Ephemeral" not supported by driver missing.csi.example.com (no CSIDriver object)',
  );
  const persistent = await eventually(async () =>
    (await podEvents(node, "persistent-only")).find((e) => e.startsWith("FailedMount")),
  );
  assert.equal(
    persistent,
    'FailedMount: MountVolume.NewMounter initialization failed for volume "cache" : ' +
      `volume mode "Ephemeral" not supported by driver ${DRIVER_NAME} (only supports ["Persistent"])`,
  );
  const unregistered = await eventually(async () =>
    (await podEvents(node, "unregistered")).find((e) => e.startsWith("FailedMount")),
  );
  assert.equal(
    unregistered,
    'FailedMount: MountVolume.SetUp failed for volume "tmp" : kubernetes.io/csi: mounter.SetUpAt failed to get CSI ' +
      "client: driver name inline.csi.example.com not found in the list of registered CSI drivers",
  );
  assert.match(await node.stowage.kubectl("get", "pod", "no-driver"), /^no-driver\s+0\/1\s+ContainerCreating\s/m);
  const described = await node.stowage.kubectl("describe", "pod", "persistent-only");
  assert.match(described, /Warning\s+FailedMount\s+.*MountVolume\.NewMounter initialization failed for volume "cache"/);
  await deleteAllPods(node);
});
