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
  ].map((c) => {
    // A condition keeps its transition time while its status stays the same.
    const before = old.conditions?.find((o) => o.type === c.type);
    return { ...c, lastTransitionTime: before && before.status === c.status ? before.lastTransitionTime : state.now };
  });
  return {
    phase: running ? "Running" : "Pending",
    conditions,
    hostIP: state.hostIP,
    hostIPs: [{ ip: state.hostIP }],
    startTime: old.startTime ?? state.now,
    ...(initContainerStatuses.length ? { initContainerStatuses } : {}),
    containerStatuses,
    qosClass: qosClass(pod),
  };
}

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
