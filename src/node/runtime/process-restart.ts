// What runtime "process" does about a previous agent's containers (see process.ts: no re-adoption): their processes
// are killed before anything starts, and each container's record is seeded from the status that agent reported.
import { readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import type { ContainerState as ApiContainerState, ContainerStatus } from "../../api/core/types.js";
import { stateFile, type ContainerState, type RunState, type TerminatedState } from "./process-container.js";
import { mountNamespaceOf, processesIn, signalNamespace, startTimeOf } from "./procfs.js";

export const now = () => new Date().toISOString().replace(/\.\d+Z$/, "Z");

/**
 * Kills every container process a previous agent left running. A state file counts only while its pid still has
 * the recorded start time and mount namespace (pids are reused). Returns once they are gone (or after a few seconds),
 * so that their mount namespaces no longer hold the volumes' mounts and loop devices.
 */
export async function killOrphanedContainers(rootDir: string): Promise<number> {
  let killed = 0;
  const namespaces: string[] = [];
  const podsDir = join(rootDir, "pods");
  for (const uid of await readdir(podsDir).catch(() => [] as string[])) {
    const dir = join(podsDir, uid, "containers");
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      const file = join(dir, name, stateFile);
      const state = await readFile(file, "utf8").then(
        (text) => JSON.parse(text) as RunState,
        () => undefined,
      );
      if (!state) continue;
      if (
        (await startTimeOf(state.pid)) === state.startTime &&
        (await mountNamespaceOf(state.pid)) === state.mountNamespace
      ) {
        killed += await signalNamespace(state.mountNamespace, "SIGKILL");
        namespaces.push(state.mountNamespace);
      }
      await rm(file, { force: true });
    }
  }
  await untilEmpty(namespaces, Date.now() + 5000);
  return killed;
}

/** Waits for SIGKILLed processes to exit: the kernel delivers the signal at once, the exit takes a moment. */
async function untilEmpty(namespaces: string[], deadline: number): Promise<void> {
  for (const namespace of namespaces) {
    while ((await processesIn(namespace)).length > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

/** A terminated state as the runtime keeps it, from one the API shows. */
function fromTerminated(t: NonNullable<ApiContainerState["terminated"]>): TerminatedState {
  return {
    kind: "terminated",
    exitCode: t.exitCode,
    reason: t.reason ?? (t.exitCode === 0 ? "Completed" : "Error"),
    message: t.message,
    startedAt: t.startedAt,
    finishedAt: t.finishedAt ?? now(),
  };
}

/** A container's record from the status a previous agent reported (its run was killed with that agent). */
export function seed(
  c: { state: ContainerState; lastState?: TerminatedState; restartCount: number; containerID?: string },
  status: ContainerStatus,
): void {
  c.restartCount = status.restartCount;
  c.containerID = status.containerID;
  const terminated = status.state?.terminated;
  if (terminated) {
    c.state = fromTerminated(terminated);
  } else if (status.state?.running) {
    // kubelet_pods.go convertToAPIContainerStatuses: a container that was running and cannot be found any more.
    c.state = {
      kind: "terminated",
      exitCode: 137,
      reason: "ContainerStatusUnknown",
      message: "The container could not be located when the pod was terminated",
      startedAt: status.state.running.startedAt,
      finishedAt: now(),
    };
  }
  const last = status.lastState?.terminated;
  // Waiting to be restarted (CrashLoopBackOff): the last run is the one to restart from.
  if (last && status.state?.waiting) c.state = fromTerminated(last);
  else if (last) c.lastState = fromTerminated(last);
}
