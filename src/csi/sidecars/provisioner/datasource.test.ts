// Restore and clone sources the provisioner cannot use: each claim stays Pending with a ProvisioningFailed event in
// upstream's words (external-provisioner's getVolumeContentSource), and no volume is made. A source in another
// namespace is refused with a message that says stowage has no CrossNamespaceVolumeDataSource / ReferenceGrant.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { PersistentVolumeClaim } from "../../../api/core/types.js";
import { claim, eventually, startWorld, storageClass } from "../../../e2e/provisioner.js";

const snapshotRef = (name: string) => ({ apiGroup: "snapshot.storage.k8s.io", kind: "VolumeSnapshot", name });

test("missing, unready, unbound and cross-namespace data sources leave the claim Pending with upstream's ProvisioningFailed", async (t) => {
  const world = await startWorld(t);
  const { client } = world;
  await client.storageClasses.create(storageClass("fast"));
  await client.namespaces.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: "other" } });
  // A snapshot that exists but is not ready (no snapshot controller runs here to make it so).
  await client.volumeSnapshots.create({
    apiVersion: "snapshot.storage.k8s.io/v1",
    kind: "VolumeSnapshot",
    metadata: { name: "unready", namespace: "default" },
    spec: { source: { persistentVolumeClaimName: "nothing" } },
  });
  // A claim that cannot bind (its class does not exist), as a clone source.
  await client.persistentVolumeClaims.create(claim("unbound", "no-such-class"));

  const cases: { name: string; spec: Partial<PersistentVolumeClaim["spec"]>; want: string }[] = [
    {
      name: "from-missing-snapshot",
      spec: { dataSource: snapshotRef("missing") },
      want: 'error getting handle for DataSource Type VolumeSnapshot by Name missing: error getting snapshot missing from api server: volumesnapshots.snapshot.storage.k8s.io "missing" not found',
    },
    {
      name: "from-unready-snapshot",
      spec: { dataSource: snapshotRef("unready") },
      want: "error getting handle for DataSource Type VolumeSnapshot by Name unready: snapshot unready is not Ready",
    },
    {
      name: "from-missing-claim",
      spec: { dataSource: { kind: "PersistentVolumeClaim", name: "ghost" } },
      want: 'error getting handle for DataSource Type PersistentVolumeClaim by Name ghost: error getting PVC ghost (namespace "default") from api server: persistentvolumeclaims "ghost" not found',
    },
    {
      name: "from-unbound-claim",
      spec: { dataSource: { kind: "PersistentVolumeClaim", name: "unbound" } },
      want: "error getting handle for DataSource Type PersistentVolumeClaim by Name unbound: claim in dataSource not bound or invalid",
    },
    {
      name: "from-other-namespace",
      spec: { dataSourceRef: { ...snapshotRef("snap"), namespace: "other" } },
      want: "cross-namespace data source VolumeSnapshot other/snap refused: stowage does not support CrossNamespaceVolumeDataSource (no ReferenceGrant); use a source in namespace default",
    },
  ];
  for (const c of cases) await client.persistentVolumeClaims.create(claim(c.name, "fast", "1Gi", c.spec));
  for (const c of cases) {
    const event = await eventually(async () => {
      const events = (await client.events.list({ namespace: "default" })).items;
      return events.find((e) => e.involvedObject.name === c.name && e.reason === "ProvisioningFailed");
    });
    assert.equal(event.type, "Warning", c.name);
    assert.equal(event.message, `failed to provision volume with StorageClass "fast": ${c.want}`, c.name);
    assert.equal((await client.persistentVolumeClaims.get("default", c.name)).status?.phase, "Pending", c.name);
  }
  assert.match(
    await world.stowage.kubectl("describe", "pvc", "from-other-namespace"),
    /Warning\s+ProvisioningFailed\s+.*cross-namespace data source VolumeSnapshot other\/snap refused/,
  );
  assert.deepEqual(await world.volumeDirs(), []);
});
