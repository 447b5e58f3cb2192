// Backup and restore benchmark (not a test), with everything `stowage up --runtime process` runs (SQLite store,
// controllers, the backup controller, hostpath driver with its sidecars, one node agent running pods) in this
// process, driven through the in-process client:
//  1. a claim mounted by a pod, and --files files of random bytes (1 GiB in all; --quick 32 MiB) written into it
//     through the pod's mount;
//  2. a Backup of its namespace: CSI snapshot, temporary claim, restic mover pod → Completed. The peer: `tar -c` of
//     the same files to the same disk, in the same run;
//  3. 1 MiB of one file changed, and a second Backup: restic's incremental pass (time, and bytes the repository took);
//  4. a Restore of the first backup into another namespace: a new claim filled by a restic mover pod, before the
//     restored pod that mounts it. The peer: `tar -x` of the peer's archive into an empty directory.
// Before any figure, every restored file is checked byte for byte against what was written (bench/checks/restore.ts).
//   npx tsx bench/backup.ts [--files 4] [--mib 1024] [--quick]
// Throughput is MB/s (10^6 bytes) of the files' bytes over the wall time from the object's create to Completed.
// Needs root (runtime process: mount namespaces, bind mounts) and restic on PATH.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, open, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { Backup, Restore } from "../src/api/backup/types.js";
import type { PersistentVolumeClaim, Pod } from "../src/api/core/types.js";
import { backupResource, backupStorageLocationResource, restoreResource } from "../src/backup/resources.js";
import { createClient } from "../src/client/index.js";
import { nodeName } from "../src/cli/storage.js";
import { defaultUpComponents, startUp } from "../src/cli/up.js";
import { unmountUnder } from "../src/e2e/mounts.js";
import { checkRestores, digestOf } from "./checks/restore.js";
import { openBench } from "./lib/bench.js";
import { pollUntil } from "./lib/wait.js";

const { values: args } = parseArgs({
  options: {
    files: { type: "string", default: "4" },
    mib: { type: "string" },
    quick: { type: "boolean", default: false },
  },
});
const files = Number(args.files);
const totalMiB = Number(args.mib ?? (args.quick ? 32 : 1024));
const fileBytes = Math.floor((totalMiB << 20) / files);
const totalBytes = fileBytes * files;
const deadlineMs = 20 * 60_000;
const ns = "bench";
const backupNs = "stowage-backup";
const bench = openBench();

const dir = await mkdtemp(join(tmpdir(), "bench-backup-"));
const running = await startUp({
  dataDir: join(dir, "stowage"),
  listen: "127.0.0.1:0",
  store: "sqlite",
  components: defaultUpComponents({ runtime: "process", block: "off" }),
  log: () => undefined,
});
const client = createClient(running.transport());
const seconds = (start: number) => (performance.now() - start) / 1000;
const mbPerSecond = (bytes: number, s: number) => bytes / 1e6 / s;

const claim: PersistentVolumeClaim = {
  apiVersion: "v1",
  kind: "PersistentVolumeClaim",
  metadata: { name: "data", namespace: ns },
  spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: `${totalMiB * 2}Mi` } } },
} as PersistentVolumeClaim;
const holder: Pod = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "holder", namespace: ns },
  spec: {
    containers: [
      {
        name: "app",
        image: "busybox",
        command: ["sleep", "3600"],
        volumeMounts: [{ name: "data", mountPath: "/data" }],
      },
    ],
    volumes: [{ name: "data", persistentVolumeClaim: { claimName: "data" } }],
  },
} as Pod;

/** Where the node publishes a pod's claim: the bytes the pod sees. */
async function mountOf(namespace: string, podName: string, claimName: string): Promise<string> {
  const pod = await client.pods.get(namespace, podName);
  const bound = await client.persistentVolumeClaims.get(namespace, claimName);
  const podDir = join(dir, "stowage", "nodes", nodeName(1), "pods", pod.metadata.uid ?? "");
  return join(podDir, "volumes", "kubernetes.io~csi", bound.spec.volumeName ?? "", "mount");
}

const podRunning = (namespace: string, name: string) =>
  pollUntil(
    deadlineMs,
    `pod ${namespace}/${name} Running`,
    async () => {
      const pod = await client.pods.get(namespace, name).catch(() => undefined);
      return pod?.status?.phase === "Running";
    },
    100,
  );

// 1. The data: random files written through the pod's mount.
await client.namespaces.create({ metadata: { name: ns } } as never);
await client.persistentVolumeClaims.create(claim);
await client.pods.create(holder);
await podRunning(ns, "holder");
const source = await mountOf(ns, "holder", "data");
const digests = new Map<string, string>();
for (let i = 0; i < files; i++) {
  const bytes = randomBytes(fileBytes);
  await writeFile(join(source, `file-${i}.bin`), bytes);
  digests.set(`file-${i}.bin`, digestOf(bytes));
}
spawnSync("sync");

await client.namespaces.create({ metadata: { name: backupNs } } as never);
await client.secrets.create({
  metadata: { name: "bench-restic", namespace: backupNs },
  stringData: { password: "bench" },
} as never);
await client.resource(backupStorageLocationResource).create({
  metadata: { name: "bench", namespace: backupNs },
  spec: {
    provider: "restic",
    objectStorage: { bucket: join(dir, "repo") },
    credential: { name: "bench-restic", key: "password" },
    default: true,
  },
});

async function backUp(name: string): Promise<{ seconds: number; backup: Backup }> {
  const started = performance.now();
  await client
    .resource(backupResource)
    .create({ metadata: { name, namespace: backupNs }, spec: { includedNamespaces: [ns] } });
  let backup: Backup | undefined;
  await pollUntil(
    deadlineMs,
    `backup ${name} finished`,
    async () => {
      backup = await client.resource(backupResource).get(backupNs, name);
      return ["Completed", "Failed", "PartiallyFailed", "FailedValidation"].includes(backup.status?.phase ?? "");
    },
    100,
  );
  const took = seconds(started);
  if (backup?.status?.phase !== "Completed") throw new Error(`backup ${name}: ${JSON.stringify(backup?.status)}`);
  return { seconds: took, backup };
}

function timed(command: string, argv: string[]): number {
  const started = performance.now();
  const result = spawnSync(command, argv, { stdio: ["ignore", "ignore", "inherit"] });
  if (result.status !== 0) throw new Error(`${command} ${argv.join(" ")} exited ${result.status}`);
  return seconds(started);
}

// 2. The first backup, and tar of the same files to the same disk (synced, as restic's pack files are).
const first = await backUp("full");
const tarSeconds = timed("sh", ["-c", `tar -cf ${join(dir, "peer.tar")} -C ${source} . && sync`]);
bench.figure({
  figure: "backup.backup_mb_per_s",
  value: mbPerSecond(totalBytes, first.seconds),
  unit: "MB/s",
  peer: { name: "tar -c", value: mbPerSecond(totalBytes, tarSeconds) },
  detail: {
    files,
    bytes: totalBytes,
    seconds: +first.seconds.toFixed(1),
    bytesAdded: first.backup.status?.progress?.bytesAdded,
  },
});

// 3. 1 MiB of one file changed, then the incremental backup.
const changed = await open(join(source, "file-0.bin"), "r+");
await changed.write(randomBytes(1 << 20), 0, 1 << 20, Math.floor(fileBytes / 2));
await changed.close();
spawnSync("sync");
const second = await backUp("incremental");
bench.figure({
  figure: "backup.incremental_seconds",
  value: second.seconds,
  unit: "s",
  detail: {
    changedBytes: 1 << 20,
    bytesAdded: second.backup.status?.progress?.bytesAdded,
    firstBytesAdded: first.backup.status?.progress?.bytesAdded,
  },
});

// 4. The first backup restored into another namespace; tar -x of the peer's archive beside it.
const restoreStarted = performance.now();
await client.resource(restoreResource).create({
  metadata: { name: "back", namespace: backupNs },
  spec: { backupName: "full", namespaceMapping: { [ns]: "bench-copy" } },
});
let restore: Restore | undefined;
await pollUntil(
  deadlineMs,
  "restore finished",
  async () => {
    restore = await client.resource(restoreResource).get(backupNs, "back");
    return ["Completed", "Failed", "PartiallyFailed", "FailedValidation"].includes(restore.status?.phase ?? "");
  },
  100,
);
const restoreSeconds = seconds(restoreStarted);
if (restore?.status?.phase !== "Completed") throw new Error(`restore: ${JSON.stringify(restore?.status)}`);
await mkdir(join(dir, "untar"));
const untarSeconds = timed("sh", ["-c", `tar -xf ${join(dir, "peer.tar")} -C ${join(dir, "untar")} && sync`]);

// The check: the restored pod's claim holds every file as written (before the 1 MiB change).
await podRunning("bench-copy", "holder");
const restored = await mountOf("bench-copy", "holder", "data");
for (const [file, want] of digests) checkRestores([{ name: file, want, got: await readFile(join(restored, file)) }]);
bench.figure({
  figure: "backup.restore_mb_per_s",
  value: mbPerSecond(totalBytes, restoreSeconds),
  unit: "MB/s",
  peer: { name: "tar -x", value: mbPerSecond(totalBytes, untarSeconds) },
  detail: {
    files,
    bytes: totalBytes,
    seconds: +restoreSeconds.toFixed(1),
    bytesDone: restore.status?.progress?.bytesDone,
  },
});
bench.finish();

await running.stop();
await unmountUnder(dir);
await rm(dir, { recursive: true, force: true });
