// Pod status as the kubelet reports it (pkg/kubelet/kubelet_pods.go generateAPIPodStatus, status/generate.go)
// for runtime "none", where a container "runs" once the pod's volumes are set up: Pending with containers
// waiting in ContainerCreating, then Running with every container running and ready.
import type { ContainerStatus, Pod, PodCondition, PodStatus } from "../api/core/types.js";

export interface PodState {
  /** Every volume of the pod is set up. */
  volumesReady: boolean;
  hostIP: string;
  now: string;
  /** Containers that cannot start though the volumes are ready (e.g. a refused subPath), by name. */
  containerErrors?: Record<string, { reason: string; message: string }>;
}

function condition(type: string, ready: boolean, reason?: string, message?: string): PodCondition {
  return ready
    ? { type, status: "True", lastProbeTime: null }
    : { type, status: "False", lastProbeTime: null, ...(reason ? { reason } : {}), ...(message ? { message } : {}) };
}

const qosClass = (pod: Pod): NonNullable<PodStatus["qosClass"]> => {
  const containers = pod.spec.containers;
  const any = containers.some(
    (c) => Object.keys(c.resources?.requests ?? {}).length || Object.keys(c.resources?.limits ?? {}).length,
  );
  if (!any) return "BestEffort";
  const guaranteed = containers.every((c) => {
    const limits = c.resources?.limits ?? {};
    const requests = c.resources?.requests ?? {};
    return ["cpu", "memory"].every(
      (r) => limits[r] !== undefined && (requests[r] === undefined || requests[r] === limits[r]),
    );
  });
  return guaranteed ? "Guaranteed" : "Burstable";
};

export function generatePodStatus(pod: Pod, state: PodState): PodStatus {
  const old = pod.status ?? {};
  const errors = state.containerErrors ?? {};
  const running = state.volumesReady && Object.keys(errors).length === 0;
  const oldStatus = (name: string) => old.containerStatuses?.find((s) => s.name === name);
  const containerStatuses: ContainerStatus[] = pod.spec.containers.map((c) => {
    const up = state.volumesReady && !errors[c.name];
    return {
      name: c.name,
      state: up
        ? { running: { startedAt: oldStatus(c.name)?.state?.running?.startedAt ?? state.now } }
        : { waiting: errors[c.name] ?? { reason: "ContainerCreating" } },
      lastState: {},
      ready: up,
      restartCount: 0,
      image: c.image ?? "",
      imageID: "",
      ...(up ? { containerID: `stowage://${pod.metadata.uid}/${c.name}` } : {}),
      started: up,
    };
  });
  const unreadyNames = containerStatuses.filter((c) => !c.ready).map((c) => c.name);
  const initContainers = pod.spec.initContainers ?? [];
  const initContainerStatuses: ContainerStatus[] = initContainers.map((c) => ({
    name: c.name,
    state: state.volumesReady
      ? { terminated: { exitCode: 0, reason: "Completed", startedAt: state.now, finishedAt: state.now } }
      : { waiting: { reason: "PodInitializing" } },
    lastState: {},
    ready: state.volumesReady,
    restartCount: 0,
    image: c.image ?? "",
    imageID: "",
    started: false,
  }));
  const unready = `containers with unready status: [${unreadyNames.join(" ")}]`;
  const conditions = [
    condition("PodReadyToStartContainers", state.volumesReady),
    initContainers.length && !state.volumesReady
      ? condition(
          "Initialized",
          false,
          "ContainersNotInitialized",
          `containers with incomplete status: [${initContainers.map((c) => c.name).join(" ")}]`,
        )
      : condition("Initialized", true),
    condition("Ready", running, "ContainersNotReady", unready),
    condition("ContainersReady", running, "ContainersNotReady", unready),
    condition("PodScheduled", true),
  ].map(keepTransitionTime(old, state.now));
  return {
    phase: running ? "Running" : "Pending",
    conditions,
    hostIP: state.hostIP,
    hostIPs: [{ ip: state.hostIP }],
    ...statusTail(pod, old, state.now, initContainerStatuses, containerStatuses),
  };
}

/** A condition keeps its transition time while its status stays the same. */
const keepTransitionTime =
  (old: PodStatus, now: string) =>
  (c: PodCondition): PodCondition => {
    const before = old.conditions?.find((o) => o.type === c.type);
    return { ...c, lastTransitionTime: before && before.status === c.status ? before.lastTransitionTime : now };
  };

/** What every pod status ends with: when the pod started, its containers' statuses, its QoS class. */
const statusTail = (
  pod: Pod,
  old: PodStatus,
  now: string,
  initContainerStatuses: ContainerStatus[],
  containerStatuses: ContainerStatus[],
): PodStatus => ({
  startTime: old.startTime ?? now,
  ...(initContainerStatuses.length ? { initContainerStatuses } : {}),
  containerStatuses,
  qosClass: qosClass(pod),
});

/** Whether two statuses differ in anything but timestamps (so an unchanged pod is not rewritten every pass). */
export function statusChanged(a: PodStatus | undefined, b: PodStatus): boolean {
  const strip = (s: PodStatus | undefined) =>
    JSON.stringify(s ?? {}, (key, value: unknown) =>
      key === "lastTransitionTime" ||
      key === "startedAt" ||
      key === "finishedAt" ||
      key === "startTime" ||
      key === "lastProbeTime"
        ? undefined
        : value,
    );
  return strip(a) !== strip(b);
}

/** What runtime "process" knows of one container (src/node/runtime/process.ts). */
interface TerminatedRun {
  kind: "terminated";
  exitCode: number;
  reason: string;
  message?: string;
  startedAt?: string;
  finishedAt: string;
}

export interface ProcessContainerStatus {
  state: { kind: "waiting"; reason: string; message?: string } | { kind: "running"; startedAt: string } | TerminatedRun;
  lastState?: TerminatedRun;
  restartCount: number;
  containerID?: string;
}

export interface ProcessPodState extends PodState {
  /** The runtime's containers (init and regular), by name; absent ones have not been started. */
  containers: Map<string, ProcessContainerStatus>;
}

type Terminated = NonNullable<NonNullable<ContainerStatus["state"]>["terminated"]>;

function terminatedOf(t: TerminatedRun, containerID: string | undefined): Terminated {
  return {
    exitCode: t.exitCode,
    reason: t.reason,
    ...(t.message ? { message: t.message } : {}),
    startedAt: t.startedAt ?? t.finishedAt,
    finishedAt: t.finishedAt,
    ...(containerID ? { containerID } : {}),
  };
}

/** kubelet_pods.go getPhase: the pod's phase from its containers' states and its restartPolicy. */
export function podPhase(
  pod: Pod,
  init: ContainerStatus[],
  containers: ContainerStatus[],
): NonNullable<PodStatus["phase"]> {
  let pendingInitialization = 0;
  let failedInitialization = 0;
  for (const s of init) {
    if (s.state?.running) pendingInitialization++;
    else if (s.state?.terminated) {
      if (s.state.terminated.exitCode !== 0) failedInitialization++;
    } else if (s.lastState?.terminated) {
      if (s.lastState.terminated.exitCode !== 0) failedInitialization++;
    } else pendingInitialization++;
  }
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const s of containers) {
    if (s.state?.running) running++;
    else if (s.state?.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.lastState?.terminated) stopped++;
    else waiting++;
  }
  const policy = pod.spec.restartPolicy ?? "Always";
  if (failedInitialization > 0 && policy === "Never") return "Failed";
  if (pendingInitialization > 0 || waiting > 0) return "Pending";
  if (running > 0) return "Running";
  if (stopped > 0) {
    if (policy === "Always") return "Running"; // every container is being restarted
    if (stopped === succeeded) return "Succeeded";
    if (policy === "Never") return "Failed";
    return "Running"; // OnFailure: the failed ones restart
  }
  return "Pending";
}

/** One container's status from what the runtime knows of it (`notStarted`: its waiting reason before its first run). */
function containerStatusOf(
  c: Pod["spec"]["containers"][number],
  s: ProcessContainerStatus | undefined,
  error: { reason: string; message: string } | undefined,
  notStarted: string,
): ContainerStatus {
  const base = { name: c.name, image: c.image ?? "", imageID: "", restartCount: s?.restartCount ?? 0 };
  const lastState = s?.lastState ? { terminated: terminatedOf(s.lastState, undefined) } : {};
  if (!s || (error && s.state.kind !== "running")) {
    return { ...base, state: { waiting: error ?? { reason: notStarted } }, lastState, ready: false, started: false };
  }
  const id = s.containerID ? { containerID: s.containerID } : {};
  switch (s.state.kind) {
    case "running":
      return {
        ...base,
        ...id,
        state: { running: { startedAt: s.state.startedAt } },
        lastState,
        ready: true,
        started: true,
      };
    case "terminated":
      return {
        ...base,
        ...id,
        state: { terminated: terminatedOf(s.state, s.containerID) },
        lastState,
        ready: false,
        started: false,
      };
    case "waiting":
      return {
        ...base,
        ...id,
        state: { waiting: { reason: s.state.reason, ...(s.state.message ? { message: s.state.message } : {}) } },
        lastState,
        ready: false,
        started: false,
      };
  }
}

/**
 * Pod status for runtime "process" (generateAPIPodStatus with real containers): containerStatuses from the
 * runtime, the phase by getPhase, and a terminal phase (Succeeded, Failed — also Evicted) never changes again.
 */
export function generateProcessPodStatus(pod: Pod, state: ProcessPodState): PodStatus {
  const old = pod.status ?? {};
  const errors = state.containerErrors ?? {};
  const initContainers = pod.spec.initContainers ?? [];
  const toStatus = (c: Pod["spec"]["containers"][number], notStarted: string): ContainerStatus =>
    containerStatusOf(c, state.containers.get(c.name), errors[c.name], notStarted);
  const initContainerStatuses = initContainers.map((c) => {
    const status = toStatus(c, "PodInitializing");
    // An init container is "ready" once it completed (as upstream reports it).
    return { ...status, ready: status.state?.terminated?.exitCode === 0, started: Boolean(status.state?.running) };
  });
  const initialized = initContainerStatuses.every((s) => s.state?.terminated?.exitCode === 0);
  const containerStatuses = pod.spec.containers.map((c) =>
    toStatus(
      c,
      initialized && state.volumesReady
        ? "ContainerCreating"
        : initContainers.length
          ? "PodInitializing"
          : "ContainerCreating",
    ),
  );
  // Before anything ran, the pod waits for its volumes (Pending); once containers have run, their states decide,
  // even while a restarted agent sets the volumes up again.
  const ran = [...state.containers.values()].some((c) => c.state.kind !== "waiting" || c.lastState);
  let phase = state.volumesReady || ran ? podPhase(pod, initContainerStatuses, containerStatuses) : "Pending";
  if (old.phase === "Succeeded" || old.phase === "Failed") phase = old.phase;
  const unreadyNames = containerStatuses.filter((c) => !c.ready).map((c) => c.name);
  const ready = unreadyNames.length === 0;
  const readyCondition = (type: string) =>
    ready
      ? condition(type, true)
      : phase === "Succeeded" || phase === "Failed"
        ? // status/generate.go generateContainersReadyConditionForTerminalPhase
          condition(type, false, phase === "Succeeded" ? "PodCompleted" : "PodFailed")
        : condition(type, false, "ContainersNotReady", `containers with unready status: [${unreadyNames.join(" ")}]`);
  const incomplete = initContainerStatuses.filter((s) => s.state?.terminated?.exitCode !== 0).map((s) => s.name);
  const conditions = [
    condition("PodReadyToStartContainers", state.volumesReady),
    initialized
      ? condition("Initialized", true)
      : condition(
          "Initialized",
          false,
          "ContainersNotInitialized",
          `containers with incomplete status: [${incomplete.join(" ")}]`,
        ),
    readyCondition("Ready"),
    readyCondition("ContainersReady"),
    condition("PodScheduled", true),
  ].map(keepTransitionTime(old, state.now));
  return {
    phase,
    // An eviction's (or another terminal) reason and message stay with the pod.
    ...(old.reason ? { reason: old.reason } : {}),
    ...(old.message ? { message: old.message } : {}),
    conditions,
    hostIP: state.hostIP,
    hostIPs: [{ ip: state.hostIP }],
    // No network namespace: the containers use the node's network, so the pod's IP is the node's (as hostNetwork).
    podIP: state.hostIP,
    podIPs: [{ ip: state.hostIP }],
    ...statusTail(pod, old, state.now, initContainerStatuses, containerStatuses),
  };
}
