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
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { createClient } from "../client/index.js";
import { nodeUserInfo } from "../api/user.js";
import { clusterAdmin } from "./upsecurity.js";
import { blockPrivileges } from "../csi/drivers/block/filesystem.js";
import { startDriver as startBlockDriver } from "../csi/drivers/block/index.js";
import { startDriver as startHostpathDriver } from "../csi/drivers/hostpath/index.js";
import { startNodeAgent, type Runtime } from "../node/agent.js";
import type { LogRotation } from "../node/runtime/process-log.js";
import type { UpComponent, UpContext } from "./component.js";
import { kubeletServingTls } from "./kubeletpki.js";
import { DataDirPki } from "./pki.js";
import { ensureDefaultStorage } from "./defaultstorage.js";
import { startDriverSidecars, type DriverPlan, type Stoppable } from "./upsidecars.js";

export interface StorageOptions {
  /** How many node agents (stowage-node-1 …); default 1. */
  nodes?: number;
  runtime?: Runtime;
  /** Runtime "process": --container-log-max-size and --container-log-max-files (default 10 MiB and 5). */
  containerLogRotation?: LogRotation;
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
  const client = createClient(ctx.transport(clusterAdmin), { userAgent: "stowage-up" });
  if (options.defaultStorage ?? true) {
    try {
      const lines = await ensureDefaultStorage(client, dataDir, block.endpoints.size > 0);
      for (const line of lines) ctx.say(line);
    } catch (err) {
      ctx.say(`default storage: NOT created: ${(err as Error).message}`);
    }
  } else ctx.say("default storage: skipped (--no-default-storage): no CSIDriver objects or StorageClasses created");

  // 3. The sidecars of each driver.
  for (const plan of running)
    await startDriverSidecars(ctx, plan, plan === hostpath, options.defaultStorage ?? true, stops);

  // 4. The node agents, each registering its drivers (CSINode entries and topology labels).
  for (const node of names) {
    const endpoints = running.map((p) => p.endpoints.get(node)).filter((e): e is string => e !== undefined);
    try {
      const agent = await startNodeAgent({
        client: createClient(ctx.transport(nodeUserInfo(node)), { userAgent: "stowage-node" }),
        nodeName: node,
        rootDir: join(dataDir, "nodes", node),
        signal: ctx.signal,
        csiDrivers: endpoints,
        runtime: options.runtime ?? "none",
        containerLogRotation: options.containerLogRotation,
        // Its kubelet port answers only the apiserver's kubelet client, whose certificate the same CA signed.
        kubeletTls: await kubeletServingTls(ctx.pki ?? (await DataDirPki.open(dataDir)), node),
        log: (message, err) => ctx.log(`node ${node}: ${message}`, err),
      });
      stops.push({ name: `node ${node}`, stop: () => agent.stop() });
      ctx.say(`node ${node}: running (runtime ${options.runtime ?? "none"}, root dir ${join(dataDir, "nodes", node)})`);
    } catch (err) {
      ctx.say(`node ${node}: NOT started: ${(err as Error).message}`);
    }
  }
}
