// Storage out of the box for `stowage up`: the hostpath CSI driver (and the block driver when this machine can
// attach loop devices), one provisioner and one attacher per driver, the node agents that register the drivers
// (CSINode entries, topology labels) and mount volumes into pods, and the default objects a newcomer's first claim
// needs: a CSIDriver per driver and the StorageClasses `standard` (default, as kind and k3s ship one) and `block`.
//
// Layout under <data-dir>:
//   csi/<driver>-<node>.sock       each driver instance's CSI endpoint
//   csi/hostpath/<node>/           hostpath volumes of that node (node-local storage)
//   csi/block/                     the block driver's "cloud": every node's instance shares it
//   nodes/<node>/                  the node agent's root dir (the kubelet's: pods/, plugins/, plugins_registry/)
//   default-storage.json           which default StorageClasses were created once (a deleted one stays deleted)
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import type { CSIDriver, StorageClass } from "../api/storage/types.js";
import { AnnIsDefaultStorageClass } from "../api/wellknown.js";
import { createClient, inProcessTransport, isAlreadyExists, type Client } from "../client/index.js";
import { CsiClient } from "../csi/client.js";
import { blockPrivileges } from "../csi/drivers/block/filesystem.js";
import { startDriver as startBlockDriver, defaultDriverName as blockDriverName } from "../csi/drivers/block/index.js";
import {
  startDriver as startHostpathDriver,
  DRIVER_NAME as hostpathDriverName,
  TOPOLOGY_KEY as hostpathTopologyKey,
} from "../csi/drivers/hostpath/index.js";
import type { StartDriver } from "../csi/drivers/options.js";
import { startAttacher } from "../csi/sidecars/attacher/controller.js";
import { startResizer } from "../csi/sidecars/resizer/controller.js";
import { startProvisioner } from "../csi/sidecars/provisioner/controller.js";
import { startUpSnapshots } from "./upsnapshots.js";
import { startNodeAgent, type Runtime } from "../node/agent.js";
import { serveCsiRouter } from "./csirouter.js";
import type { UpComponent, UpContext } from "./component.js";

export const defaultClassName = "standard";
export const blockClassName = "block";

export interface StorageOptions {
  /** How many node agents (stowage-node-1 …); default 1. */
  nodes?: number;
  runtime?: Runtime;
  /** Create the CSIDriver objects and default StorageClasses (unless --no-default-storage). Default true. */
  defaultStorage?: boolean;
  /** "auto" (default): the block driver runs when loop devices and mounts work here; "off": never. */
  block?: "auto" | "off";
}

export const nodeName = (index: number): string => `stowage-node-${index}`;

const run = promisify(execFile);

/** Why the block driver cannot work here, or undefined when it can (root, loop devices, the tools it calls). */
export async function blockUnavailableReason(): Promise<string | undefined> {
  if (process.getuid?.() !== 0 || !(await blockPrivileges()).canMount) return "not running as root";
  if (!existsSync("/dev/loop-control")) return "no loop devices (/dev/loop-control is missing)";
  try {
    await run("losetup", ["--find"]);
  } catch (err) {
    return `no free loop device (losetup --find: ${(err as Error).message.split("\n")[0]})`;
  }
  for (const tool of ["mkfs.ext4", "blkid", "findmnt"]) {
    try {
      await run("sh", ["-c", `command -v ${tool}`]);
    } catch {
      return `${tool} is not installed`;
    }
  }
  return undefined;
}

function csiDriverObject(name: string, spec: CSIDriver["spec"]): CSIDriver {
  return { apiVersion: "storage.k8s.io/v1", kind: "CSIDriver", metadata: { name }, spec };
}

/** The CSIDriver objects as the drivers' deployments would ship them. */
export function defaultCsiDrivers(block: boolean): CSIDriver[] {
  const drivers = [
    csiDriverObject(hostpathDriverName, {
      // hostpath volumes are directories on the node: nothing to attach.
      attachRequired: false,
      podInfoOnMount: true,
      // The provisioner publishes CSIStorageCapacity per node, so the scheduler only picks nodes with room.
      storageCapacity: true,
      fsGroupPolicy: "File",
      volumeLifecycleModes: ["Persistent"],
    }),
  ];
  if (block) {
    drivers.push(
      csiDriverObject(blockDriverName, {
        // A loop device is attached to one node at a time, like a cloud disk.
        attachRequired: true,
        podInfoOnMount: false,
        storageCapacity: false,
        fsGroupPolicy: "ReadWriteOnceWithFSType",
        volumeLifecycleModes: ["Persistent"],
      }),
    );
  }
  return drivers;
}

/** `standard` (the default class, as kind's and k3s's) and, when the block driver runs, `block`. */
export function defaultStorageClasses(block: boolean, markDefault = true): StorageClass[] {
  const classes: StorageClass[] = [
    {
      apiVersion: "storage.k8s.io/v1",
      kind: "StorageClass",
      metadata: {
        name: defaultClassName,
        ...(markDefault ? { annotations: { [AnnIsDefaultStorageClass]: "true" } } : {}),
      },
      provisioner: hostpathDriverName,
      reclaimPolicy: "Delete",
      volumeBindingMode: "WaitForFirstConsumer",
      allowVolumeExpansion: true,
    },
  ];
  if (block) {
    classes.push({
      apiVersion: "storage.k8s.io/v1",
      kind: "StorageClass",
      metadata: { name: blockClassName },
      provisioner: blockDriverName,
      parameters: { "csi.storage.k8s.io/fstype": "ext4" },
      reclaimPolicy: "Delete",
      volumeBindingMode: "WaitForFirstConsumer",
      allowVolumeExpansion: true,
    });
  }
  return classes;
}

interface CreatedMarker {
  storageClasses: string[];
}

async function readMarker(file: string): Promise<CreatedMarker> {
  try {
    const parsed: unknown = JSON.parse(await readFile(file, "utf8"));
    const names = (parsed as { storageClasses?: unknown }).storageClasses;
    return { storageClasses: Array.isArray(names) ? names.filter((n): n is string => typeof n === "string") : [] };
  } catch {
    return { storageClasses: [] };
  }
}

/**
 * Creates what is missing, never updates: a class the user edited stays as edited. CSIDriver objects are ensured on
 * every start (the running drivers need them); a default StorageClass is created once per data dir, so one the
 * user deleted stays deleted on a resumed `up`. Returns lines for the startup output.
 */
export async function ensureDefaultStorage(client: Client, dataDir: string, block: boolean): Promise<string[]> {
  const said: string[] = [];
  for (const driver of defaultCsiDrivers(block)) {
    try {
      await client.csiDrivers.create(driver);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
  }
  const markerFile = join(dataDir, "default-storage.json");
  const marker = await readMarker(markerFile);
  const existing = await client.storageClasses.list();
  const otherDefault = existing.items.find(
    (sc) => sc.metadata.annotations?.[AnnIsDefaultStorageClass] === "true" && sc.metadata.name !== defaultClassName,
  );
  for (const sc of defaultStorageClasses(block, otherDefault === undefined)) {
    const name = sc.metadata.name ?? "";
    if (marker.storageClasses.includes(name)) continue;
    try {
      await client.storageClasses.create(sc);
      said.push(`created StorageClass ${name}${sc.metadata.annotations ? " (default)" : ""} → ${sc.provisioner}`);
      if (name === defaultClassName && otherDefault)
        said.push(`StorageClass ${name} is not marked default: ${otherDefault.metadata.name} already is`);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
    marker.storageClasses.push(name);
    await writeFile(markerFile, JSON.stringify(marker, null, 2) + "\n");
  }
  if (said.length === 0) said.push("default storage: created on an earlier start; classes are kept as they are");
  return said;
}

interface Stoppable {
  name: string;
  stop(): Promise<void>;
}

interface DriverPlan {
  /** Short name used for sockets and messages: "hostpath" or "block". */
  short: string;
  start: StartDriver;
  stateDir(node: string): string;
  /** The nodes this driver runs on. */
  nodes: string[];
  endpoints: Map<string, string>;
}

/** Everything of `up` below the control plane, as one component: drivers → default storage → sidecars → nodes. */
export function storageComponent(options: StorageOptions = {}): UpComponent {
  const nodes = options.nodes ?? 1;
  const names = Array.from({ length: nodes }, (_, i) => nodeName(i + 1));
  return {
    name: "storage",
    async start(ctx: UpContext) {
      const stops: Stoppable[] = [];
      const stopAll = async () => {
        for (const s of stops.reverse()) {
          try {
            await s.stop();
          } catch (err) {
            ctx.log(`stopping ${s.name} failed`, err);
          }
        }
      };
      try {
        await startStorage(ctx, options, names, stops);
      } catch (err) {
        await stopAll();
        throw err;
      }
      return { stop: stopAll };
    },
  };
}

async function startStorage(ctx: UpContext, options: StorageOptions, names: string[], stops: Stoppable[]) {
  const { dataDir } = ctx;
  const csiDir = join(dataDir, "csi");
  await mkdir(csiDir, { recursive: true });
  const driverLog = (line: string) => ctx.log(line);

  // 1. The CSI drivers, one instance per node (each node's agent talks to its own socket, as on real machines).
  const hostpath: DriverPlan = {
    short: "hostpath",
    start: startHostpathDriver,
    stateDir: (node) => join(csiDir, "hostpath", node),
    nodes: names,
    endpoints: new Map(),
  };
  const block: DriverPlan = {
    short: "block",
    start: startBlockDriver,
    // The cloud every node's block driver shares: a volume made through one node is attachable to any.
    stateDir: () => join(csiDir, "block"),
    nodes: names,
    endpoints: new Map(),
  };
  const plans = [hostpath];
  const blockOff = options.block === "off" ? "turned off" : await blockUnavailableReason();
  if (blockOff) ctx.say(`block CSI driver: off (${blockOff}); only the hostpath driver and class "standard" run`);
  else plans.push(block);
  if (process.getuid?.() !== 0) {
    ctx.say(
      "WARNING: not running as root: volumes are provisioned but cannot be mounted (no bind mounts), " +
        "so pods using claims stay ContainerCreating. Run `sudo bin/stowage up` for real mounts.",
    );
  }
  for (const plan of plans) {
    for (const node of plan.nodes) {
      const endpoint = `unix://${join(csiDir, `${plan.short}-${node}.sock`)}`;
      try {
        await mkdir(plan.stateDir(node), { recursive: true });
        const driver = await plan.start({ endpoint, nodeId: node, stateDir: plan.stateDir(node), log: driverLog });
        stops.push({ name: `${plan.short} driver on ${node}`, stop: () => driver.stop() });
        plan.endpoints.set(node, endpoint);
      } catch (err) {
        ctx.say(`${plan.short} CSI driver on ${node}: NOT started: ${(err as Error).message}`);
      }
    }
  }
  const running = plans.filter((p) => p.endpoints.size > 0);
  for (const p of running) ctx.say(`${p.short} CSI driver: ${[...p.endpoints.values()].join(", ")}`);

  // 2. The objects a first claim needs, before the sidecars read them.
  const client = createClient(inProcessTransport(ctx.handler), { userAgent: "stowage-up" });
  if (options.defaultStorage ?? true) {
    try {
      const lines = await ensureDefaultStorage(client, dataDir, block.endpoints.size > 0);
      for (const line of lines) ctx.say(line);
    } catch (err) {
      ctx.say(`default storage: NOT created: ${(err as Error).message}`);
    }
  } else ctx.say("default storage: skipped (--no-default-storage): no CSIDriver objects or StorageClasses created");

  // 3. One provisioner and one attacher per driver. Block's state is shared, so the first node's instance serves
  // every node. Hostpath volumes are node-local: with several nodes the sidecars talk to a router in front of every
  // node's instance (CreateVolume to the node the topology selects), as upstream's per-node provisioners would.
  for (const plan of running) {
    let [first, endpoint] = [...plan.endpoints.entries()][0];
    if (plan === hostpath && plan.endpoints.size > 1) {
      try {
        endpoint = await startHostpathRouter(ctx, plan.endpoints, stops);
        first = "every node";
      } catch (err) {
        ctx.say(`hostpath router: NOT started (${(err as Error).message}); provisioning on ${first} only`);
      }
    }
    const sidecarLog = (who: string) => (message: string, fields?: Record<string, unknown>) =>
      ctx.log(`${who} (${plan.short}): ${message} ${fields ? JSON.stringify(fields) : ""}`);
    let csi: CsiClient;
    try {
      csi = await CsiClient.connect(endpoint, { signal: ctx.signal });
    } catch (err) {
      ctx.say(`${plan.short} sidecars: NOT started: connecting to ${endpoint}: ${(err as Error).message}`);
      continue;
    }
    stops.push({ name: `${plan.short} CSI connection`, stop: async () => csi.close() });
    const sidecarClient = (agent: string) => createClient(inProcessTransport(ctx.handler), { userAgent: agent });
    try {
      const provisioner = await startProvisioner({
        client: sidecarClient("stowage-csi-provisioner"),
        csi,
        signal: ctx.signal,
        log: sidecarLog("csi-provisioner"),
      });
      stops.push({ name: `${plan.short} provisioner`, stop: () => provisioner.stop() });
    } catch (err) {
      ctx.say(`${plan.short} csi-provisioner: NOT started: ${(err as Error).message}`);
    }
    try {
      const attacher = await startAttacher({
        client: sidecarClient("stowage-csi-attacher"),
        csi,
        signal: ctx.signal,
        log: sidecarLog("csi-attacher"),
      });
      stops.push({ name: `${plan.short} attacher`, stop: () => attacher.stop() });
    } catch (err) {
      ctx.say(`${plan.short} csi-attacher: NOT started: ${(err as Error).message}`);
    }
    await startUpSnapshots(ctx, plan.short, csi, options.defaultStorage ?? true, stops);
    await startResizer({
      client: sidecarClient("stowage-csi-resizer"),
      csi,
      signal: ctx.signal,
      log: sidecarLog("csi-resizer"),
    }).then(
      (resizer) => stops.push({ name: `${plan.short} resizer`, stop: () => resizer.stop() }),
      (err: Error) => ctx.say(`${plan.short} csi-resizer: NOT started: ${err.message}`),
    );
    ctx.say(
      `${plan.short}: csi-provisioner and csi-attacher running against ${first === "every node" ? "every node's driver (router)" : `${first}'s driver`}`,
    );
  }

  // 4. The node agents, each registering its drivers (CSINode entries and topology labels).
  for (const node of names) {
    const endpoints = running.map((p) => p.endpoints.get(node)).filter((e): e is string => e !== undefined);
    try {
      const agent = await startNodeAgent({
        client: createClient(inProcessTransport(ctx.handler), { userAgent: "stowage-node" }),
        nodeName: node,
        rootDir: join(dataDir, "nodes", node),
        signal: ctx.signal,
        csiDrivers: endpoints,
        runtime: options.runtime ?? "none",
        log: (message, err) => ctx.log(`node ${node}: ${message}`, err),
      });
      stops.push({ name: `node ${node}`, stop: () => agent.stop() });
      ctx.say(`node ${node}: running (runtime ${options.runtime ?? "none"}, root dir ${join(dataDir, "nodes", node)})`);
    } catch (err) {
      ctx.say(`node ${node}: NOT started: ${(err as Error).message}`);
    }
  }
}

/** Connects to every node's hostpath instance and serves one Controller endpoint routing between them. */
async function startHostpathRouter(ctx: UpContext, endpoints: Map<string, string>, stops: Stoppable[]) {
  const backends = new Map<string, CsiClient>();
  stops.push({ name: "hostpath router connections", stop: async () => backends.forEach((b) => b.close()) });
  for (const [node, endpoint] of endpoints)
    backends.set(node, await CsiClient.connect(endpoint, { signal: ctx.signal }));
  const server = await serveCsiRouter({
    endpoint: `unix://${join(ctx.dataDir, "csi", "hostpath.sock")}`,
    backends,
    topologyKey: hostpathTopologyKey,
    log: (line) => ctx.log(line),
  });
  stops.push({ name: "hostpath router", stop: () => server.stop() });
  return server.endpoint;
}
