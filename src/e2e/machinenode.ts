// A stowage node on a machine (machines.ts): `stowage csi block` and `stowage node` as processes in the machine's
// namespaces, the agent reaching the apiservers over the bridge with its own credentials (`stowage kubeconfig
// --node`: system:node:<name>, under the Node authorizer) and serving its kubelet port on the machine's address with
// a certificate for it. The block driver's state dir is the "cloud" every machine's driver shares.
import { execFile, type ChildProcess } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { repoRoot, stowageEntry, untilOutput } from "./agentprocess.js";
import { kill9 } from "./faults.js";
import { kubeletTlsFlags } from "./kubelettls.js";
import type { Machine } from "./machines.js";

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
  agent: ChildProcess;
  driver: ChildProcess;
  /** Starts the agent again (after kill9), resolved once it runs. */
  restartAgent(): Promise<void>;
  /** Starts the driver again (after kill9), resolved once it serves. */
  restartDriver(): Promise<void>;
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

/** The node named as the machine, with a block driver, on that machine; both killed with the machines. */
export async function startMachineNode(machine: Machine, options: MachineNodeOptions): Promise<MachineNode> {
  const name = machine.name;
  await mkdir(options.dir, { recursive: true });
  const rootDir = join(options.dir, "root");
  const socket = join(options.dir, "block.sock");
  const kubeconfig = await nodeKubeconfig(options, name);
  const tls = await kubeletTlsFlags(options.dataDir, name, machine.address);
  const stowage = (args: string[], ready: string) => {
    const child = machine.spawn(process.execPath, [...stowageEntry(options.bundle), ...args], {
      cwd: repoRoot,
      stdio: ["ignore", "pipe", "pipe"],
    });
    return untilOutput(child, ready, `${name}: stowage ${args[0]}`).then(() => child);
  };
  const driverArgs = ["csi", "block", "--endpoint", `unix://${socket}`, "--node-id", name];
  driverArgs.push("--state-dir", options.blockStateDir);
  const agentArgs = ["node", "--kubeconfig", kubeconfig, "--node-name", name, "--root-dir", rootDir, ...tls];
  agentArgs.push("--kubelet-address", machine.address, "--csi-driver", `unix://${socket}`);
  const node: MachineNode = {
    machine,
    name,
    rootDir,
    driver: await stowage(driverArgs, "serving"),
    agent: await stowage(agentArgs, "running against"),
    async restartAgent() {
      await kill9(node.agent);
      node.agent = await stowage(agentArgs, "running against");
    },
    async restartDriver() {
      await kill9(node.driver);
      node.driver = await stowage(driverArgs, "serving");
    },
  };
  return node;
}
