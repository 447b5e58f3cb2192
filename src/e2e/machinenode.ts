// A stowage node on a machine (machines.ts): `stowage csi block` and `stowage node` as processes in the machine's
// namespaces, the agent reaching the apiservers over the bridge with its own credentials (`stowage kubeconfig
// --node`: system:node:<name>, under the Node authorizer) and serving its kubelet port on the machine's address with
// a certificate for it. The block driver's state dir is the "cloud" every machine's driver shares.
import { execFile } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { repoRoot, stowageEntry } from "./agentprocess.js";
import { kubeletTlsFlags } from "./kubelettls.js";
import type { Machine } from "./machines.js";
import { Supervised } from "./supervised.js";

const run = promisify(execFile);

export interface MachineNodeOptions {
  /** The data dir of the apiserver whose CA signs the node's certificates. */
  dataDir: string;
  /** Where this node keeps its root dir, socket and kubeconfig (on the host's filesystem, seen by the machine). */
  dir: string;
  /** The block driver's shared state dir. */
  blockStateDir: string;
  /** The apiservers' URLs, in the order the node tries them (its kubeconfig's comma-separated server). */
  servers: string[];
  bundle?: string;
}

export interface MachineNode {
  machine: Machine;
  name: string;
  rootDir: string;
  /** `stowage node`, started again whenever it exits (as systemd runs a kubelet). */
  agent: Supervised;
  /** `stowage csi block`, the same. */
  driver: Supervised;
  /** kill -9 of the agent, resolved once its successor runs. */
  restartAgent(): Promise<void>;
  stop(): Promise<void>;
}

/** Writes the node's kubeconfig: `stowage kubeconfig --node <name>`, with every apiserver as its server. */
async function nodeKubeconfig(options: MachineNodeOptions, name: string): Promise<string> {
  const { stdout } = await run(
    process.execPath,
    [...stowageEntry(options.bundle), "kubeconfig", "--data-dir", options.dataDir, "--node", name],
    { cwd: repoRoot },
  );
  const file = join(options.dir, "kubeconfig");
  await writeFile(file, stdout.replace(/server: .*/, `server: ${options.servers.join(",")}`), { mode: 0o600 });
  return file;
}

/** The node named as the machine, with a block driver, on that machine; both killed with the machines (or `stop`). */
export async function startMachineNode(machine: Machine, options: MachineNodeOptions): Promise<MachineNode> {
  const name = machine.name;
  await mkdir(options.dir, { recursive: true });
  const rootDir = join(options.dir, "root");
  const socket = join(options.dir, "block.sock");
  const kubeconfig = await nodeKubeconfig(options, name);
  const tls = await kubeletTlsFlags(options.dataDir, name, machine.address);
  const launch = (args: string[]) => () =>
    machine.spawn(process.execPath, [...stowageEntry(options.bundle), ...args], {
      cwd: repoRoot,
      stdio: ["ignore", "pipe", "pipe"],
    });
  const driverArgs = ["csi", "block", "--endpoint", `unix://${socket}`, "--node-id", name];
  driverArgs.push("--state-dir", options.blockStateDir);
  const agentArgs = ["node", "--kubeconfig", kubeconfig, "--node-name", name, "--root-dir", rootDir, ...tls];
  agentArgs.push("--kubelet-address", machine.address, "--csi-driver", `unix://${socket}`);
  const driver = await Supervised.start({
    name: `${name}/csi-block`,
    launch: launch(driverArgs),
    ready: "serving",
    signal: machine.signal,
  });
  const agent = await Supervised.start({
    name: `${name}/node`,
    launch: launch(agentArgs),
    ready: "running against",
    signal: machine.signal,
  });
  return {
    machine,
    name,
    rootDir,
    driver,
    agent,
    async restartAgent() {
      await agent.kill9();
      await agent.ready();
    },
    stop: () => Promise.all([agent.stop(), driver.stop()]).then(() => undefined),
  };
}
