// Provisioner benchmark (not a test): N claims through an Immediate StorageClass to Bound PVs, with the real
// apiserver on SQLite, the controller-manager's PV controller, the hostpath CSI driver over gRPC on a unix socket,
// and the provisioner, all in this process on the in-process transport (as `stowage up` runs them).
//   node --import tsx bench/provisioner.ts [--claims 1000] [--workers 100] [--delete]
// Prints one JSON object per figure on stdout. Target (issue 6): 1,000 claims Bound in ≤ 5 s.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { PersistentVolumeClaim } from "../src/api/core/types.js";
import { createClient, createInformerFactory } from "../src/client/index.js";
import { startUp } from "../src/cli/up.js";
import { connectCsi } from "../src/csi/client.js";
import { startDriver } from "../src/csi/drivers/hostpath/index.js";
import { startProvisioner } from "../src/csi/sidecars/provisioner/controller.js";
import { startControllerManager } from "../src/controllers/manager.js";

const { values: args } = parseArgs({
  options: {
    claims: { type: "string", default: "1000" },
    workers: { type: "string", default: "100" },
    delete: { type: "boolean", default: false },
  },
});
const count = Number(args.claims);
const workers = Number(args.workers);
const quiet = () => undefined;

const dir = await mkdtemp(join(tmpdir(), "bench-prov-"));
const abort = new AbortController();
const up = await startUp({ dataDir: join(dir, "data"), listen: "127.0.0.1:0", components: [], log: quiet });
const driver = await startDriver({
  endpoint: `unix://${join(dir, "csi.sock")}`,
  nodeId: "node-1",
  stateDir: join(dir, "state"),
  capacity: 1024 ** 4,
  log: quiet,
});
const csi = await connectCsi(`unix://${join(dir, "csi.sock")}`);
const client = createClient(up.transport());
const manager = await startControllerManager({ client, signal: abort.signal, workers: 16, log: quiet });
await manager.ready;
let retries = 0;
const provisioner = await startProvisioner({
  client,
  csi,
  signal: abort.signal,
  workers,
  log: (message) => {
    if (message.includes("will retry")) retries++;
  },
});

await client.storageClasses.create({
  apiVersion: "storage.k8s.io/v1",
  kind: "StorageClass",
  metadata: { name: "fast" },
  provisioner: provisioner.driverName,
  reclaimPolicy: "Delete",
  volumeBindingMode: "Immediate",
});

// Watch claims through an informer of our own, as a user's `kubectl get pvc -w` would see them.
const watcher = createInformerFactory(createClient(up.transport()));
const bound = new Set<string>();
let allBound!: () => void;
const done = new Promise<void>((resolve) => (allBound = resolve));
const annotated = new Set<string>();
let annotatedAt = 0;
watcher.persistentVolumeClaims.onChange((claim: PersistentVolumeClaim) => {
  if (claim.metadata.annotations?.["volume.kubernetes.io/storage-provisioner"])
    annotated.add(claim.metadata.name ?? "");
  if (annotated.size === count && !annotatedAt) annotatedAt = performance.now();
  if (claim.status?.phase === "Bound") bound.add(claim.metadata.name ?? "");
  if (bound.size === count) allBound();
});
let volumesAt = 0;
const volumes = new Set<string>();
watcher.persistentVolumes.onAdd((pv) => {
  volumes.add(pv.metadata.name ?? "");
  if (volumes.size === count) volumesAt = performance.now();
});
watcher.start(abort.signal);
await watcher.waitForSync();

const started = performance.now();
const concurrency = 64;
let next = 0;
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < count) {
      const i = next++;
      await client.persistentVolumeClaims.create({
        apiVersion: "v1",
        kind: "PersistentVolumeClaim",
        metadata: { name: `data-${i}`, namespace: "default" },
        spec: { accessModes: ["ReadWriteOnce"], storageClassName: "fast", resources: { requests: { storage: "1Mi" } } },
      });
    }
  }),
);
const created = performance.now();
await done;
const finished = performance.now();
const seconds = (finished - started) / 1000;
console.log(
  JSON.stringify({ figure: "provisioner.claims_created_s", value: (created - started) / 1000, claims: count }),
);
console.log(
  JSON.stringify({ figure: "provisioner.claims_annotated_by_pv_controller_s", value: (annotatedAt - started) / 1000 }),
);
console.log(JSON.stringify({ figure: "provisioner.volumes_created_s", value: (volumesAt - started) / 1000 }));
console.log(
  JSON.stringify({ figure: "provisioner.claims_bound_s", value: seconds, claims: count, workers, target_s: 5 }),
);
console.log(JSON.stringify({ figure: "provisioner.claims_per_s", value: count / seconds }));
console.log(JSON.stringify({ figure: "provisioner.sync_retries", value: retries }));

if (args.delete) {
  const deleting = performance.now();
  let releasedAt = 0;
  const released = new Set<string>();
  watcher.persistentVolumes.onUpdate((_old, pv) => {
    if (pv.status?.phase === "Released") released.add(pv.metadata.name ?? "");
    if (released.size === count && !releasedAt) releasedAt = performance.now();
  });
  await client.persistentVolumeClaims.deleteCollection({ namespace: "default" });
  for (;;) {
    const left = (await client.persistentVolumes.list({ limit: 1 })).items.length;
    if (left === 0) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  console.log(JSON.stringify({ figure: "provisioner.volumes_released_s", value: (releasedAt - deleting) / 1000 }));
  console.log(
    JSON.stringify({ figure: "provisioner.volumes_deleted_s", value: (performance.now() - deleting) / 1000 }),
  );
}

abort.abort();
await provisioner.stop();
await manager.stop();
csi.close();
await driver.stop();
await up.stop();
await rm(dir, { recursive: true, force: true });
