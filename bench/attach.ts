// Attach/detach benchmark (not a test): N pods, each with its own ReadWriteOnce block volume, scheduled across two
// nodes; measures pods created → every VolumeAttachment attached (attach-detach controller + csi-attacher +
// ControllerPublishVolume of the block driver), then pods deleted → every attachment gone (ControllerUnpublish).
// The real apiserver on SQLite and the block driver over gRPC on a unix socket, all in-process as `stowage up`.
//   node --import tsx bench/attach.ts [--volumes 200] [--workers 10]
// Prints one JSON object per figure on stdout.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { PersistentVolumeClaim, Pod } from "../src/api/core/types.js";
import { createClient } from "../src/client/index.js";
import { startUp } from "../src/cli/up.js";
import { connectCsi } from "../src/csi/client.js";
import { defaultDriverName, startDriver } from "../src/csi/drivers/block/index.js";
import { startAttacher } from "../src/csi/sidecars/attacher/controller.js";
import { startAttachDetachController } from "../src/controllers/attachdetach/controller.js";

const { values: args } = parseArgs({
  options: { volumes: { type: "string", default: "200" }, workers: { type: "string", default: "10" } },
});
const count = Number(args.volumes);
const quiet = () => undefined;

const dir = await mkdtemp(join(tmpdir(), "bench-attach-"));
const abort = new AbortController();
const up = await startUp({ dataDir: join(dir, "data"), listen: "127.0.0.1:0", components: [], log: quiet });
const endpoint = `unix://${join(dir, "csi.sock")}`;
const driver = await startDriver({ endpoint, nodeId: "node-1", stateDir: join(dir, "cloud"), log: quiet });
// node-2 registers in the same cloud (its socket is not used: the controller side is shared).
const driver2 = await startDriver({
  endpoint: `unix://${join(dir, "csi2.sock")}`,
  nodeId: "node-2",
  stateDir: join(dir, "cloud"),
  log: quiet,
});
const csi = await connectCsi(endpoint);
const client = createClient(up.transport());
for (const name of ["node-1", "node-2"]) {
  await client.nodes.create({ apiVersion: "v1", kind: "Node", metadata: { name } });
  await client.csiNodes.create({
    apiVersion: "storage.k8s.io/v1",
    kind: "CSINode",
    metadata: { name },
    spec: { drivers: [{ name: defaultDriverName, nodeID: name }] },
  });
}
const adc = await startAttachDetachController({ client, log: quiet }, abort.signal);
const attacher = await startAttacher({ client, csi, signal: abort.signal, workers: Number(args.workers), log: quiet });

for (let i = 0; i < count; i++) {
  const name = `vol-${i}`;
  const { volume } = await csi.controller.CreateVolume({
    name,
    capacity_range: { required_bytes: 1 << 20 },
    volume_capabilities: [{ mount: { fs_type: "ext4" }, access_mode: { mode: "SINGLE_NODE_WRITER" } }],
  });
  const claim = await client.persistentVolumeClaims.create({
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name, namespace: "default" },
    spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Mi" } }, volumeName: name },
  } as PersistentVolumeClaim);
  const pv = await client.persistentVolumes.create({
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name },
    spec: {
      capacity: { storage: "1Mi" },
      accessModes: ["ReadWriteOnce"],
      claimRef: { kind: "PersistentVolumeClaim", namespace: "default", name, uid: claim.metadata.uid },
      csi: { driver: defaultDriverName, volumeHandle: volume!.volume_id },
    },
  });
  await client.persistentVolumes.updateStatus({ ...pv, status: { phase: "Bound" } });
  await client.persistentVolumeClaims.updateStatus({ ...claim, status: { phase: "Bound" } });
}

async function until(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, 20));
}
const attachedCount = async () =>
  (await client.volumeAttachments.list()).items.filter((a) => a.status?.attached).length;

let start = performance.now();
for (let i = 0; i < count; i++) {
  await client.pods.create({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: `pod-${i}`, namespace: "default" },
    spec: {
      nodeName: i % 2 ? "node-2" : "node-1",
      containers: [{ name: "app", image: "busybox" }],
      volumes: [{ name: "data", persistentVolumeClaim: { claimName: `vol-${i}` } }],
    },
  } as Pod);
}
await until(async () => (await attachedCount()) === count);
let seconds = (performance.now() - start) / 1000;
console.log(JSON.stringify({ figure: "attach", volumes: count, seconds, perSecond: count / seconds }));

start = performance.now();
for (let i = 0; i < count; i++) await client.pods.delete("default", `pod-${i}`, { gracePeriodSeconds: 0 });
await until(async () => (await client.volumeAttachments.list()).items.length === 0);
seconds = (performance.now() - start) / 1000;
console.log(JSON.stringify({ figure: "detach", volumes: count, seconds, perSecond: count / seconds }));

abort.abort();
await attacher.stop();
await adc.done;
csi.close();
await driver.stop();
await driver2.stop();
await up.stop();
await rm(dir, { recursive: true, force: true });
