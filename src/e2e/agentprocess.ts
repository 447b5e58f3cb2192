// The node agent as a real `stowage node` process, to SIGKILL it the way a crash or an OOM kill would. It runs the
// agent only as a process (its kubelet certificate files come from kubelettls.ts), so tests of other parts may use
// it too.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { kubeletTlsFlags } from "./kubelettls.js";

export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

export interface AgentProcessOptions {
  kubeconfig: string;
  /** The data dir of the stowage it joins: its CA issues the agent's kubelet certificate (kubelettls.ts). */
  dataDir: string;
  nodeName: string;
  rootDir: string;
  /** unix:///… endpoints passed as --csi-driver. */
  csiDrivers?: string[];
  /** Run this bundle of src/cli/main.ts (see bundle.ts) instead of the sources through tsx: starts much faster. */
  bundle?: string;
  /** More flags, e.g. ["--runtime", "process"]. */
  extraArgs?: string[];
}

/** The node arguments that run `stowage` from the sources, or from a bundle of them. */
export const stowageEntry = (bundle?: string): string[] => (bundle ? [bundle] : ["--import", "tsx", "src/cli/main.ts"]);

/** Runs `stowage <args>` from the sources (or a bundle); resolves once `ready` appears in its output. */
export async function spawnStowage(args: string[], ready: string, bundle?: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [...stowageEntry(bundle), ...args], {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "pipe"],
  });
  await untilOutput(child, ready, `stowage ${args[0]}`);
  return child;
}

/** Runs a `stowage <args>` command from the sources to its end: exit code and output, never a throw. */
export function runStowage(
  args: string[],
  timeout = 120_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...stowageEntry(), ...args], { cwd: repoRoot, timeout }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

/** Resolves with the output so far once `ready` appears in the child's stdout or stderr; rejects if it exits first. */
export async function untilOutput(child: ChildProcess, ready: string, what: string): Promise<string> {
  let output = "";
  const collect = (d: Buffer) => {
    // Keep the head (startup errors) and not an unbounded log.
    if (output.length < 64 * 1024) output += d.toString();
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  await new Promise<void>((resolve, reject) => {
    const check = setInterval(() => {
      if (output.includes(ready)) {
        clearInterval(check);
        child.off("exit", onExit);
        resolve();
      }
    }, 20);
    const onExit = (code: number | null) => {
      clearInterval(check);
      reject(new Error(`${what} exited ${code}: ${output}`));
    };
    child.once("exit", onExit);
  });
  return output;
}

/** `stowage node …`, resolved once it says it is running (Node registered, drivers registered, informers synced). */
export async function spawnAgent(options: AgentProcessOptions): Promise<ChildProcess> {
  const args = ["node", "--kubeconfig", options.kubeconfig, "--node-name", options.nodeName];
  args.push("--root-dir", options.rootDir, ...(await kubeletTlsFlags(options.dataDir, options.nodeName)));
  for (const endpoint of options.csiDrivers ?? []) args.push("--csi-driver", endpoint);
  args.push(...(options.extraArgs ?? []));
  return spawnStowage(args, "running against", options.bundle);
}

/** SIGKILL, and wait until the process is gone. */
export async function killProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGKILL");
  await exited;
}
