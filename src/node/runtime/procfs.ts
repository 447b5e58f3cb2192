// What /proc says about a container's processes. Runtime "process" gives each container its own mount namespace
// but no pid namespace, so "the container's processes" are exactly the processes in that mount namespace: its
// main process, whatever it forked (even into a new session), and what `kubectl exec` entered with nsenter.
import { readdir, readFile, readlink } from "node:fs/promises";

/** The mount namespace of a process ("mnt:[4026532301]"), or undefined when it is gone. */
export async function mountNamespaceOf(pid: number): Promise<string | undefined> {
  try {
    return await readlink(`/proc/${pid}/ns/mnt`);
  } catch {
    return undefined;
  }
}

/** The kernel's start time of a process (clock ticks since boot, /proc/<pid>/stat field 22): tells pid reuse apart. */
export async function startTimeOf(pid: number): Promise<string | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces and parentheses: count fields after its closing ")".
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

/** Every process whose mount namespace is `namespace`. */
export async function processesIn(namespace: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir("/proc").catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    if ((await mountNamespaceOf(pid)) === namespace) pids.push(pid);
  }
  return pids;
}

/** Sends `signal` to every process in the mount namespace; returns how many there were. */
export async function signalNamespace(namespace: string, signal: NodeJS.Signals): Promise<number> {
  // The host's own namespace is never a container's: refusing it keeps a bug here from killing the node.
  if (namespace === (await mountNamespaceOf(process.pid))) return 0;
  const pids = await processesIn(namespace);
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // exited meanwhile
    }
  }
  return pids.length;
}
