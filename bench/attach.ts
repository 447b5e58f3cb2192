// Attach/detach benchmark (not a test): N pods, each with its own ReadWriteOnce block volume, scheduled across two
// nodes; measures pods created → every VolumeAttachment attached (attach-detach controller + csi-attacher +
// ControllerPublishVolume of the block driver), then pods deleted → every attachment gone (ControllerUnpublish).
// The real apiserver on SQLite and the block driver over gRPC on a unix socket, all in-process as `stowage up`.
// Checked before any figure: one VolumeAttachment per volume, attached to the node its pod runs on and published
// there by the driver (ListVolumes' published_node_ids); after the deletes, none left and nothing published.
//   node --import tsx bench/attach.ts [--volumes 200] [--workers 10] [--quick]
// Prints figure lines (bench/lib/figure.ts).
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
import { checkAttached, checkNothingPublished } from "./checks/attachments.js";
import { openBench } from "./lib/bench.js";
import { untilCount } from "./lib/until.js";
import { pollUntil } from "./lib/wait.js";

const { values: args } = parseArgs({
  options: {
    volumes: { type: "string", default: "200" },
    workers: { type: "string", default: "10" },
    quick: { type: "boolean", default: false },
  },
});
const count = args.quick ? 20 : Number(args.volumes);
const bench = openBench();
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

const nodeOf = (i: number) => (i % 2 ? "node-2" : "node-1");
/** What the driver has published where: volume id → nodes. */
async function published(): Promise<Map<string, string[]>> {
  const { entries } = await csi.controller.ListVolumes({});
  return new Map(entries.map((e) => [e.volume?.volume_id ?? "", e.status?.published_node_ids ?? []]));
}

let start = performance.now();
for (let i = 0; i < count; i++) {
  await client.pods.create({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: `pod-${i}`, namespace: "default" },
    spec: {
      nodeName: nodeOf(i),
      containers: [{ name: "app", image: "busybox" }],
      volumes: [{ name: "data", persistentVolumeClaim: { claimName: `vol-${i}` } }],
    },
  } as Pod);
}
const deadline = { ms: 60_000 + count * 500, what: "every VolumeAttachment attached" };
await untilCount(client.volumeAttachments, (a) => a.status?.attached === true, count, deadline);
let seconds = (performance.now() - start) / 1000;
// The check: one attachment per volume, on its pod's node, and the driver published it there and nowhere else.
const volumes = (await client.persistentVolumes.list()).items;
checkAttached(
  {
    nodeOf: new Map(Array.from({ length: count }, (_, i) => [`vol-${i}`, nodeOf(i)])),
    handleOf: new Map(volumes.map((pv) => [pv.metadata.name ?? "", pv.spec.csi?.volumeHandle ?? ""])),
  },
  (await client.volumeAttachments.list()).items,
  await published(),
);
const detail = { volumes: count, workers: Number(args.workers), seconds: +seconds.toFixed(2) };
bench.figure({ figure: "attach.attach_per_second", value: count / seconds, unit: "/s", detail });

start = performance.now();
for (let i = 0; i < count; i++) await client.pods.delete("default", `pod-${i}`, { gracePeriodSeconds: 0 });
const gone = { ms: 60_000 + count * 500, what: "every VolumeAttachment gone" };
await pollUntil(gone.ms, gone.what, async () => (await client.volumeAttachments.list()).items.length === 0);
seconds = (performance.now() - start) / 1000;
checkNothingPublished(await published());
bench.figure({ figure: "attach.detach_per_second", value: count / seconds, unit: "/s", detail: { volumes: count } });

abort.abort();
await attacher.stop();
await adc.done;
csi.close();
await driver.stop();
await driver2.stop();
await up.stop();
await rm(dir, { recursive: true, force: true });
bench.finish();
