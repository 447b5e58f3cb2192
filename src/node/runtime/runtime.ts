// The seam between the node agent, its container runtime and the node's streaming server (kubectl logs/exec).
// The runtime writes each container's output where the kubelet keeps it (/var/log/pods layout, CRI log format)
// and says which process is a running container's, so logs and exec need nothing else from it.
import { join } from "node:path";

export type RuntimeName = "none" | "process";
export const runtimeNames: readonly RuntimeName[] = ["none", "process"];

export interface PodRef {
  namespace: string;
  name: string;
  uid: string;
}

/**
 * <root-dir>/logs/pods/<namespace>_<name>_<uid>/<container>/<restartCount>.log (the kubelet's
 * BuildContainerLogsDirectory). Lines are in the CRI log format: `<RFC3339Nano> <stdout|stderr> <F|P> <text>`.
 */
export function containerLogPath(rootDir: string, pod: PodRef, container: string, restartCount = 0): string {
  return join(rootDir, "logs", "pods", `${pod.namespace}_${pod.name}_${pod.uid}`, container, `${restartCount}.log`);
}

/** The ids a container's processes run as: securityContext runAsUser, runAsGroup; supplementalGroups and fsGroup. */
export interface ContainerUser {
  uid: number;
  gid: number;
  groups: number[];
}

export interface ContainerRuntime {
  readonly name: RuntimeName;
  /**
   * The pid of a running container's first process, or undefined when the container is not running.
   * exec enters the container with `nsenter --target <pid> --mount --root --wd`.
   */
  containerPid(podUid: string, container: string): number | undefined;
  /**
   * The ids a running container was started with, which exec runs its commands as (the kubelet's exec runs in
   * the container, as its user). Undefined: no securityContext ids, so root, as an image without USER runs.
   */
  containerUser(podUid: string, container: string): ContainerUser | undefined;
  /**
   * Stops the pod's containers — SIGTERM to each one's main process, SIGKILL to all of its processes after
   * `gracePeriodSeconds` — and resolves when none is left; nothing of the pod starts again. For deletion and for
   * eviction (the pod stays, Failed). Safe to call again: the first call's grace period holds.
   */
  killPod(podUid: string, gracePeriodSeconds: number): Promise<void>;
}

/** Runtime "none": nothing runs, so there is no process to enter and nothing to stop. */
export const noneRuntime: ContainerRuntime = {
  name: "none",
  containerPid: () => undefined,
  containerUser: () => undefined,
  killPod: () => Promise.resolve(),
};
