// The snapshot controller and the csi-snapshotter sidecar together, as upstream's handshake and secrets work:
// - the class's csi.storage.k8s.io/snapshotter-secret-name/-namespace templates are resolved per snapshot, recorded
//   on the content (deletion-secret-* annotations), and the secret's data reaches CreateSnapshot and DeleteSnapshot;
//   the driver never sees the csi.storage.k8s.io/ parameters;
// - a missing secret or a bad template is a clear error on the snapshot's status and in its events;
// - while CreateSnapshot runs the content is marked volumesnapshot-being-created, and a snapshot deleted meanwhile
//   waits for the driver's answer before DeleteSnapshot (no leaked snapshot); the controller marks the content
//   volumesnapshot-being-deleted.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import type { PersistentVolumeClaim } from "../../../api/core/types.js";
import type { VolumeSnapshot, VolumeSnapshotContent } from "../../../api/snapshot/types.js";
import { eventually, startStowage, type Stowage } from "../../../e2e/stowage.js";
import { createClient, type Client } from "../../../client/index.js";
import { startSnapshotController } from "../../../e2e/parts.js";
import { CsiClient } from "../../client.js";
import { DRIVER_NAME, startDriver } from "../../drivers/hostpath/index.js";
import { startSnapshotter } from "./controller.js";
import { startSnapshotGate, type SnapshotGate } from "./testing/gate.js";

const beingCreated = "snapshot.storage.kubernetes.io/volumesnapshot-being-created";
const beingDeleted = "snapshot.storage.kubernetes.io/volumesnapshot-being-deleted";

interface World {
  s: Stowage;
  client: Client;
  csi: CsiClient;
  gate: SnapshotGate;
  volumeHandle: string;
}

async function startWorld(t: TestContext): Promise<World> {
  const dir = await mkdtemp(join(tmpdir(), "stowage-snapshot-handshake-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const s = await startStowage(t, { store: "memory" });
  const client = createClient(s.transport());
  const endpoint = `unix://${join(dir, "csi.sock")}`;
  const driver = await startDriver({ endpoint, nodeId: "n1", stateDir: join(dir, "state"), log: () => undefined });
  const csi = await CsiClient.connect(endpoint);
  const gate = await startSnapshotGate(`unix://${join(dir, "gate.sock")}`, csi);
  const viaGate = await CsiClient.connect(gate.endpoint);
  const abort = new AbortController();
  const sidecar = await startSnapshotter({ client, csi: viaGate, signal: abort.signal, log: () => undefined });
  const controller = await startSnapshotController({ client, log: () => undefined }, abort.signal);
  t.after(async () => {
    gate.release();
    abort.abort();
    await sidecar.stop();
    await controller.done;
    viaGate.close();
    await gate.stop();
    csi.close();
    await driver.stop();
  });
  const created = await csi.controller.CreateVolume({
    name: "data",
    capacity_range: { required_bytes: String(1 << 20) },
    volume_capabilities: [{ access_mode: { mode: "SINGLE_NODE_WRITER" }, mount: {} }],
  });
  const volumeHandle = created.volume?.volume_id ?? "";
  const claim = await client.persistentVolumeClaims.create({
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name: "data", namespace: "default" },
    spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Mi" } }, volumeName: "data" },
  } as PersistentVolumeClaim);
  const pv = await client.persistentVolumes.create({
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name: "data" },
    spec: {
      capacity: { storage: "1Mi" },
      accessModes: ["ReadWriteOnce"],
      persistentVolumeReclaimPolicy: "Retain",
      claimRef: { kind: "PersistentVolumeClaim", namespace: "default", name: "data", uid: claim.metadata.uid },
      csi: { driver: DRIVER_NAME, volumeHandle },
    },
  });
  await client.persistentVolumes.updateStatus({ ...pv, status: { phase: "Bound" } });
  await client.persistentVolumeClaims.updateStatus({
    ...claim,
    status: { phase: "Bound", accessModes: ["ReadWriteOnce"], capacity: { storage: "1Mi" } },
  });
  return { s, client, csi, gate, volumeHandle };
}

async function apply(s: Stowage, manifest: string): Promise<void> {
  const result = await s.kubectlResult(["apply", "-f", "-"], { input: manifest });
  assert.equal(result.code, 0, result.stderr);
}

const snapshotClass = (name: string, parameters: Record<string, string>) => `
apiVersion: snapshot.storage.k8s.io/v1
kind: VolumeSnapshotClass
metadata: { name: ${name} }
driver: ${DRIVER_NAME}
deletionPolicy: Delete
parameters: ${JSON.stringify(parameters)}
`;

const snapshotOf = (name: string, className: string) => `
apiVersion: snapshot.storage.k8s.io/v1
kind: VolumeSnapshot
metadata: { name: ${name}, namespace: default }
spec:
  volumeSnapshotClassName: ${className}
  source: { persistentVolumeClaimName: data }
`;

const getJson = async <T>(s: Stowage, ...args: string[]) =>
  JSON.parse(await s.kubectl("get", ...args, "-o", "json")) as T;

const templated = {
  "csi.storage.k8s.io/snapshotter-secret-name": "creds-${volumesnapshot.name}",
  "csi.storage.k8s.io/snapshotter-secret-namespace": "${volumesnapshot.namespace}",
  tier: "gold",
};

test("the class's snapshotter secret (templated) reaches CreateSnapshot and DeleteSnapshot; its parameters do not", async (t) => {
  const { s, gate } = await startWorld(t);
  await apply(s, snapshotClass("secured", templated));
  await apply(
    s,
    `
apiVersion: v1
kind: Secret
metadata: { name: creds-alpha, namespace: default }
stringData: { user: admin, password: hunter2 }
`,
  );
  await apply(s, snapshotOf("alpha", "secured"));
  await s.kubectl("wait", "volumesnapshot/alpha", "--for=jsonpath={.status.readyToUse}=true", "--timeout=30s");
  const snapshot = await getJson<VolumeSnapshot>(s, "volumesnapshot", "alpha");
  const content = await getJson<VolumeSnapshotContent>(
    s,
    "volumesnapshotcontent",
    snapshot.status?.boundVolumeSnapshotContentName ?? "",
  );
  assert.equal(content.metadata.annotations?.["snapshot.storage.kubernetes.io/deletion-secret-name"], "creds-alpha");
  assert.equal(content.metadata.annotations?.["snapshot.storage.kubernetes.io/deletion-secret-namespace"], "default");
  assert.equal(content.metadata.annotations?.[beingCreated], undefined, "the being-created mark is gone once ready");
  const described = await s.kubectl("describe", "volumesnapshot", "alpha");
  assert.match(
    described,
    /Normal\s+SnapshotCreated\s+.*Snapshot default\/alpha was successfully created by the CSI driver\./,
  );
  assert.match(described, /Normal\s+SnapshotReady\s+.*Snapshot default\/alpha is ready to use\./);
  const [create] = gate.calls.filter((c) => c.method === "CreateSnapshot");
  assert.deepEqual(create.parameters, { tier: "gold" });
  assert.deepEqual(create.secrets, { user: "admin", password: "hunter2" });

  await s.kubectl("delete", "volumesnapshot", "alpha", "--timeout=30s");
  await s.kubectl("wait", `volumesnapshotcontent/${content.metadata.name}`, "--for=delete", "--timeout=30s");
  const deletes = gate.calls.filter((c) => c.method === "DeleteSnapshot");
  assert.equal(deletes.length, 1);
  assert.equal(deletes[0].snapshotId, content.status?.snapshotHandle);
  assert.deepEqual(deletes[0].secrets, { user: "admin", password: "hunter2" });
});

test("a missing snapshotter secret or a bad template is a clear error on the snapshot and in its events", async (t) => {
  const { s, gate } = await startWorld(t);
  await apply(s, snapshotClass("secured", templated));
  await apply(s, snapshotOf("beta", "secured"));
  const error = await eventually(async () => {
    const snap = await getJson<VolumeSnapshot>(s, "volumesnapshot", "beta");
    return snap.status?.error?.message;
  }, 20_000);
  assert.match(error, /^Failed to create snapshot: failed to get input parameters to create snapshot for content /);
  assert.match(error, /error getting secret creds-beta in namespace default: secrets \\"creds-beta\\" not found/);
  assert.match(
    await s.kubectl("describe", "volumesnapshot", "beta"),
    /Warning\s+SnapshotCreationFailed\s+.*error getting secret creds-beta in namespace default/,
  );
  assert.equal(gate.calls.length, 0, "the driver was not asked");
  // Creating the secret is the fix: the retry succeeds.
  await apply(
    s,
    `
apiVersion: v1
kind: Secret
metadata: { name: creds-beta, namespace: default }
stringData: { user: admin }
`,
  );
  await s.kubectl("wait", "volumesnapshot/beta", "--for=jsonpath={.status.readyToUse}=true", "--timeout=30s");

  // Only the name of the pair: upstream's words, on the snapshot and as SnapshotContentCreationFailed.
  await apply(s, snapshotClass("half", { "csi.storage.k8s.io/snapshotter-secret-name": "creds" }));
  await apply(s, snapshotOf("gamma", "half"));
  const halfError = await eventually(
    async () => (await getJson<VolumeSnapshot>(s, "volumesnapshot", "gamma")).status?.error?.message,
  );
  assert.equal(
    halfError,
    'Failed to create snapshot content with error failed to get input parameters to create snapshot gamma: "failed to get name and namespace template from params: either name and namespace for Snapshotter secrets specified, Both must be specified"',
  );
  assert.match(await s.kubectl("describe", "volumesnapshot", "gamma"), /Warning\s+SnapshotContentCreationFailed\s+/);
  // A token the template does not know.
  await apply(
    s,
    snapshotClass("typo", {
      "csi.storage.k8s.io/snapshotter-secret-name": "${pvc.name}",
      "csi.storage.k8s.io/snapshotter-secret-namespace": "default",
    }),
  );
  await apply(s, snapshotOf("delta", "typo"));
  const typoError = await eventually(
    async () => (await getJson<VolumeSnapshot>(s, "volumesnapshot", "delta")).status?.error?.message,
  );
  assert.match(typoError, /error resolving value \\"\$\{pvc.name\}\\": invalid tokens: \[\\"pvc.name\\"\]/);
});

test("a snapshot deleted while CreateSnapshot runs waits for the driver's answer, then its snapshot is deleted: nothing leaks", async (t) => {
  const { s, gate, csi, volumeHandle } = await startWorld(t);
  await apply(s, snapshotClass("plain", {}));
  gate.hold(() => true);
  await apply(s, snapshotOf("slow", "plain"));
  await gate.held();
  const snapshot = await getJson<VolumeSnapshot>(s, "volumesnapshot", "slow");
  const contentName = `snapcontent-${snapshot.metadata.uid}`;
  const during = await getJson<VolumeSnapshotContent>(s, "volumesnapshotcontent", contentName);
  assert.equal(during.metadata.annotations?.[beingCreated], "yes");

  await s.kubectl("delete", "volumesnapshot", "slow", "--wait=false");
  // The controller marks the content being-deleted and deletes it; the sidecar waits (being-created).
  const marked = await eventually(async () => {
    const c = await getJson<VolumeSnapshotContent>(s, "volumesnapshotcontent", contentName);
    return c.metadata.annotations?.[beingDeleted] === "yes" && c.metadata.deletionTimestamp ? c : undefined;
  });
  assert.equal(marked.metadata.annotations?.[beingCreated], "yes");
  assert.equal(gate.calls.filter((c) => c.method === "DeleteSnapshot").length, 0);

  gate.release();
  await s.kubectl("wait", `volumesnapshotcontent/${contentName}`, "--for=delete", "--timeout=30s");
  await s.kubectl("wait", "volumesnapshot/slow", "--for=delete", "--timeout=30s");
  assert.equal(gate.calls.filter((c) => c.method === "DeleteSnapshot").length, 1);
  assert.deepEqual((await csi.controller.ListSnapshots({ source_volume_id: volumeHandle })).entries, []);
});
