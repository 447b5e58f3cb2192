// The expand controller as kubectl shows it: a bound CSI claim patched bigger gets one Normal ExternalExpanding
// "waiting for an external controller to expand this PVC" from volume_expand per resize — not again for the
// resizer's status writes or a resync, again for the next resize — and nothing for a claim that did not grow or
// whose volume does not point back at it.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Event, PersistentVolumeClaim } from "../../api/core/types.js";
import { createClient, createInformerFactory, type Client } from "../../client/index.js";
import { eventually, startStowage } from "../../e2e/stowage.js";
import { expandControllerComponent, externalExpandingMessage, startExpandController } from "./controller.js";

async function boundPair(client: Client, name: string, options: { csi: boolean; claimRefUid?: string }) {
  const claim = await client.persistentVolumeClaims.create({
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name, namespace: "default" },
    spec: {
      accessModes: ["ReadWriteOnce"],
      resources: { requests: { storage: "1Gi" } },
      storageClassName: "expandable",
      volumeName: `pv-${name}`,
    },
  } as PersistentVolumeClaim);
  const pv = await client.persistentVolumes.create({
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name: `pv-${name}` },
    spec: {
      capacity: { storage: "1Gi" },
      accessModes: ["ReadWriteOnce"],
      persistentVolumeReclaimPolicy: "Delete",
      storageClassName: "expandable",
      claimRef: {
        kind: "PersistentVolumeClaim",
        namespace: "default",
        name,
        uid: options.claimRefUid ?? claim.metadata.uid,
      },
      ...(options.csi
        ? { csi: { driver: "hostpath.csi.stowage.dev", volumeHandle: name } }
        : { hostPath: { path: `/tmp/stowage-expand/${name}` } }),
    },
  });
  await client.persistentVolumes.updateStatus({ ...pv, status: { phase: "Bound" } });
  await client.persistentVolumeClaims.updateStatus({
    ...claim,
    status: { phase: "Bound", accessModes: ["ReadWriteOnce"], capacity: { storage: "1Gi" } },
  });
}

/**
 * Resolves once the controller's own informer has handed it `name` twice more as a periodic resync with `holds` true.
 * Its handlers ran for every change before those deliveries, and anything they queued had two periods to run: the
 * event that proves "the controller saw it and did nothing", instead of a fixed sleep.
 */
function resyncsOf(
  informers: ReturnType<typeof createInformerFactory>,
  name: string,
  holds: (claim: PersistentVolumeClaim) => boolean,
): Promise<void> {
  let seen = 0;
  return new Promise((resolve) => {
    const remove = informers.persistentVolumeClaims.addHandlers({
      update(old, claim) {
        // A resync hands the cached object as both old and new.
        if (old !== claim || claim.metadata.name !== name || !holds(claim) || ++seen < 2) return;
        remove();
        resolve();
      },
    });
  });
}

const grow = (client: Client, name: string, size: string) =>
  client.persistentVolumeClaims.patch("default", name, "merge", {
    spec: { resources: { requests: { storage: size } } },
  });

async function expandingEvents(client: Client, name: string): Promise<Event[]> {
  const events = (await client.events.list({ namespace: "default" })).items;
  return events.filter((e) => e.involvedObject.name === name && e.reason === "ExternalExpanding");
}

test("a bound CSI claim patched bigger gets ExternalExpanding once per resize, as kubectl describe shows", async (t) => {
  const stowage = await startStowage(t, { store: "memory" });
  const client = createClient(stowage.transport());
  await client.storageClasses.create({
    apiVersion: "storage.k8s.io/v1",
    kind: "StorageClass",
    metadata: { name: "expandable" },
    provisioner: "hostpath.csi.stowage.dev",
    allowVolumeExpansion: true,
  });
  await boundPair(client, "data", { csi: true });
  await boundPair(client, "local", { csi: false });
  await boundPair(client, "stranger", { csi: true, claimRefUid: "00000000-0000-0000-0000-000000000000" });
  await boundPair(client, "same", { csi: true });

  const abort = new AbortController();
  const informers = createInformerFactory(client, { resyncPeriodMs: 200, log: () => undefined });
  const running = await startExpandController({ client, informers, log: () => undefined }, abort.signal);
  t.after(async () => {
    abort.abort();
    await running.done;
  });

  await grow(client, "data", "2Gi");
  await grow(client, "local", "2Gi");
  await grow(client, "stranger", "2Gi");
  const [event] = await eventually(async () => {
    const found = await expandingEvents(client, "data");
    return found.length ? found : undefined;
  }, 10_000);
  assert.equal(event.type, "Normal");
  assert.equal(event.message, externalExpandingMessage);
  assert.equal(event.source?.component, expandControllerComponent);
  assert.match(
    await stowage.kubectl("describe", "pvc", "data"),
    /Normal\s+ExternalExpanding\s+\S+\s+volume_expand\s+waiting for an external controller to expand this PVC/,
  );
  // An in-tree volume is left to an external controller too (no in-tree plugin here expands): same event.
  await eventually(async () => ((await expandingEvents(client, "local")).length ? true : undefined), 10_000);

  // The resizer's status writes (conditions, allocatedResources) and resyncs do not repeat it.
  const claim = await client.persistentVolumeClaims.get("default", "data");
  await client.persistentVolumeClaims.updateStatus({
    ...claim,
    status: {
      ...claim.status,
      conditions: [{ type: "Resizing", status: "True" }],
      allocatedResources: { storage: "2Gi" },
      allocatedResourceStatuses: { storage: "ControllerResizeInProgress" },
    },
  });
  await resyncsOf(informers, "data", (c) => c.status?.conditions?.[0]?.type === "Resizing");
  assert.equal((await expandingEvents(client, "data"))[0]?.count, 1);

  // The next resize is mentioned again (the recorder folds the repeat into count 2).
  await grow(client, "data", "3Gi");
  await eventually(async () => ((await expandingEvents(client, "data"))[0]?.count === 2 ? true : undefined), 10_000);

  // Nothing for a claim whose request did not grow past its capacity, or whose PV is bound to another claim.
  await client.persistentVolumeClaims.patch("default", "same", "merge", { metadata: { labels: { touched: "yes" } } });
  await resyncsOf(informers, "same", (c) => c.metadata.labels?.touched === "yes");
  assert.deepEqual(await expandingEvents(client, "same"), []);
  assert.deepEqual(await expandingEvents(client, "stranger"), []);
});
