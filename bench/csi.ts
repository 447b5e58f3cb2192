// CSI figures for the hostpath driver, through real gRPC over a unix socket to the driver in its own process:
//  - CreateVolume+DeleteVolume round trips per second with 16 concurrent callers (target ≥ 2,000/s);
//  - NodePublishVolume+NodeUnpublishVolume round trips per second with real bind mounts (16 callers, each on its
//    own staged volume, as a node agent mounting for many pods at once).
// Prints bench/lib/figure.ts's JSON lines. Run as root: npx tsx bench/csi.ts [seconds-per-figure] [process|in-process]
// The wall-clock rate depends on what else runs on the machine, so each line also gives the CPU both processes spent
// per round trip and the load average seen; the rate printed is the one measured, never one extrapolated from them.
// CreateVolume+Delete is checked before it is printed: every call made a volume no other call got, all gone after.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CsiClient } from "../src/csi/client.js";
import { mountsUnder, unmount } from "../src/support/mount.js";
import { startDriver } from "../src/csi/drivers/hostpath/index.js";
import type { VolumeCapability } from "../src/csi/generated/csi/v1/VolumeCapability.js";
import { openBench } from "./lib/bench.js";

const quick = process.argv.includes("--quick");
const positional = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const seconds = Number(positional[0] ?? (quick ? 1 : 5));
const bench = openBench();
const mode = positional[1] ?? "process";
const callers = 16;
const rwo: VolumeCapability = { mount: {}, access_mode: { mode: "SINGLE_NODE_WRITER" } };

/** CPU seconds a process has used so far (user + system), from /proc/<pid>/stat. */
async function cpuSecondsOf(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, "utf8")).split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

interface Figure {
  roundTrips: number;
  perSecond: number;
  /** CPU both processes (caller and driver) spent per round trip: the machine-independent cost. */
  cpuMsPerRoundTrip: number;
}

/** Runs `callers` loops of `fn` for `seconds`; returns completed round trips per second and their CPU cost. */
async function measure(fn: (caller: number, i: number) => Promise<void>): Promise<Figure> {
  const until = performance.now() + seconds * 1000;
  const start = performance.now();
  const cpuBefore = process.cpuUsage();
  const driverCpuBefore = await driverCpuSeconds();
  let count = 0;
  await Promise.all(
    Array.from({ length: callers }, async (_, caller) => {
      for (let i = 0; performance.now() < until; i++) {
        await fn(caller, i);
        count++;
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  const own = process.cpuUsage(cpuBefore);
  const cpuSeconds = (own.user + own.system) / 1e6 + ((await driverCpuSeconds()) - driverCpuBefore);
  const cpuMsPerRoundTrip = (cpuSeconds * 1000) / count;
  return {
    roundTrips: count,
    perSecond: Math.round(count / elapsed),
    cpuMsPerRoundTrip: Number(cpuMsPerRoundTrip.toFixed(3)),
  };
}

const dir = await mkdtemp(join(tmpdir(), "csi-bench-"));
const endpoint = `unix://${join(dir, "csi.sock")}`;
// "process": the driver in its own process, as a sidecar talks to a driver container. "in-process": caller and
// driver share one process, as in `stowage up` — still real gRPC over the unix socket.
const placement = mode === "in-process" ? "in-process" : "process";
const driver =
  placement === "process"
    ? spawn(
        process.execPath,
        [
          // CSI_BENCH_PROFILE=<dir>: the driver writes a CPU profile there too (bench/profiletop.ts reads it).
          ...(process.env.CSI_BENCH_PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${process.env.CSI_BENCH_PROFILE}`] : []),
          "--import",
          "tsx",
          fileURLToPath(new URL("../src/csi/drivers/hostpath/testing/run-driver.ts", import.meta.url)),
          endpoint,
          "node-1",
          join(dir, "state"),
        ],
        { stdio: ["ignore", "ignore", "inherit"] },
      )
    : undefined;
const inProcess =
  placement === "in-process"
    ? await startDriver({ endpoint, nodeId: "node-1", stateDir: join(dir, "state"), log: () => {} })
    : undefined;
/** The driver's CPU seconds when it runs in its own process (in-process, process.cpuUsage already counts it). */
const driverCpuSeconds = (): Promise<number> => (driver ? cpuSecondsOf(driver.pid!) : Promise.resolve(0));
const client = await CsiClient.connect(endpoint, { readyTimeoutMs: 30_000 });
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void cleanUp().finally(() => process.exit(130)));
}
// `… | head` closes stdout early: stop measuring, but still unmount.
process.stdout.on("error", () => void cleanUp().finally(() => process.exit(0)));

try {
  // Warm up both processes (JIT, first directory creations) before timing.
  for (let i = 0; i < 200; i++) {
    const { volume } = await client.controller.CreateVolume({ name: `warm-${i}`, volume_capabilities: [rwo] });
    await client.controller.DeleteVolume({ volume_id: volume!.volume_id });
  }

  // The floor: an empty RPC (Probe) through the same client and socket, to read the figures below against.
  const probe = await measure(async () => {
    await client.identity.Probe({});
  });
  const floor = { name: "empty Probe calls/s, same client and socket", value: probe.perSecond };
  bench.figure({
    figure: "csi.probe_per_second",
    value: probe.perSecond,
    unit: "calls/s",
    detail: { driver: placement, callers, seconds, ...probe },
  });

  const created = new Set<string>();
  let duplicates = 0;
  const createDelete = await measure(async (caller, i) => {
    const { volume } = await client.controller.CreateVolume({
      name: `pvc-${caller}-${i}`,
      volume_capabilities: [rwo],
      capacity_range: { required_bytes: 1 << 20 },
    });
    if (created.has(volume!.volume_id)) duplicates++;
    created.add(volume!.volume_id);
    await client.controller.DeleteVolume({ volume_id: volume!.volume_id });
  });
  await checkAllGone(created, duplicates, createDelete.roundTrips);
  bench.figure({
    figure: "csi.create_delete_per_second",
    value: createDelete.perSecond,
    unit: "round trips/s",
    goal: { op: ">=", value: 2000 },
    peer: floor,
    detail: { driver: placement, callers, seconds, ...createDelete },
  });

  // One staged volume per caller; each caller publishes and unpublishes it at a fresh target path.
  const staged = await Promise.all(
    Array.from({ length: callers }, async (_, caller) => {
      const { volume } = await client.controller.CreateVolume({ name: `mount-${caller}`, volume_capabilities: [rwo] });
      const staging = join(dir, "staging", String(caller));
      await mkdir(staging, { recursive: true });
      await client.node.NodeStageVolume({
        volume_id: volume!.volume_id,
        staging_target_path: staging,
        volume_capability: rwo,
      });
      return { id: volume!.volume_id, staging };
    }),
  );
  const publishUnpublish = await measure(async (caller, i) => {
    const { id, staging } = staged[caller];
    const target = join(dir, "pods", `${caller}-${i}`, "mount");
    await client.node.NodePublishVolume({
      volume_id: id,
      staging_target_path: staging,
      target_path: target,
      volume_capability: rwo,
    });
    await client.node.NodeUnpublishVolume({ volume_id: id, target_path: target });
  });
  bench.figure({
    figure: "csi.publish_unpublish_per_second",
    value: publishUnpublish.perSecond,
    unit: "round trips/s",
    goal: { op: ">=", value: 1500 },
    peer: floor,
    detail: { driver: placement, callers, seconds, ...publishUnpublish, mounts: "bind" },
  });
  for (const { id, staging } of staged) {
    await client.node.NodeUnstageVolume({ volume_id: id, staging_target_path: staging });
    await client.controller.DeleteVolume({ volume_id: id });
  }
} finally {
  await cleanUp();
}
bench.finish();

/** No figure unless every round trip made its own volume and deleted it: none left in ListVolumes or on disk. */
async function checkAllGone(created: Set<string>, duplicates: number, roundTrips: number): Promise<void> {
  if (duplicates > 0 || created.size !== roundTrips)
    throw new Error(`${roundTrips} CreateVolume calls made ${created.size} distinct volumes (${duplicates} repeated)`);
  const listed: string[] = [];
  let token = "";
  do {
    const page = await client.controller.ListVolumes({ max_entries: 1000, starting_token: token });
    listed.push(...page.entries.map((e) => e.volume?.volume_id ?? ""));
    token = page.next_token;
  } while (token);
  const onDisk = await readdir(join(dir, "state", "volumes"));
  const left = [...listed, ...onDisk].filter((id) => created.has(id));
  if (left.length > 0) throw new Error(`${left.length} deleted volumes are still there, e.g. ${left[0]}`);
}

/** Stops the driver and removes every mount and file the bench made; also on Ctrl-C or a closed stdout. */
async function cleanUp(): Promise<void> {
  client.close();
  await inProcess?.stop();
  if (driver && driver.exitCode === null && driver.signalCode === null) {
    driver.kill("SIGTERM");
    await once(driver, "exit");
  }
  for (const mount of (await mountsUnder(dir)).reverse()) await unmount(mount);
  await rm(dir, { recursive: true, force: true });
}
