// core/v1 Pod: defaults (also used for pod templates), table and field selectors as upstream
// (pkg/apis/core/v1/defaults.go, pkg/printers/internalversion printPod, pkg/registry/core/pod/strategy.go).
import type { ResourceDefinition } from "../resource.js";
import { ageColumn, column, nameColumn, translateTimestampSince } from "../table.js";
import { validateObjectMetaUpdate } from "../validation/meta.js";
import { standardVerbs } from "../verbs.js";
import type { Container, Pod, PodSpec, PodStatus } from "./types.js";
import { validatePod, validatePodUpdate } from "./validate-pod.js";
import type { PersistentVolumeClaimSpec } from "./volumes.js";

/** 0644, upstream's default file mode for secret, configMap, downwardAPI and projected volumes. */
export const DefaultVolumeMode = 0o644;

/** upstream's parsers.ParseImageName tag rule: no tag and no digest means "latest". */
function imageTag(image: string): string {
  const withoutDigest = image.split("@")[0];
  const lastSlash = withoutDigest.lastIndexOf("/");
  const lastPart = withoutDigest.slice(lastSlash + 1);
  const colon = lastPart.indexOf(":");
  if (colon >= 0) return lastPart.slice(colon + 1);
  return image.includes("@") ? "" : "latest";
}

export function defaultContainer(container: Container): void {
  if (!container.imagePullPolicy) {
    container.imagePullPolicy = imageTag(container.image ?? "") === "latest" ? "Always" : "IfNotPresent";
  }
  if (!container.terminationMessagePath) container.terminationMessagePath = "/dev/termination-log";
  if (!container.terminationMessagePolicy) container.terminationMessagePolicy = "File";
  for (const port of container.ports ?? []) port.protocol ??= "TCP";
  for (const env of container.env ?? []) {
    if (env.valueFrom?.fieldRef && !env.valueFrom.fieldRef.apiVersion) env.valueFrom.fieldRef.apiVersion = "v1";
  }
  // Go serialises the (non-pointer) resources struct even when empty: `resources: {}` in kubectl's YAML
  container.resources ??= {};
  // upstream: limits without requests imply requests equal to the limits
  const limits = container.resources.limits;
  if (limits) {
    const requests = (container.resources.requests ??= {});
    for (const [name, value] of Object.entries(limits)) if (!(name in requests)) requests[name] = value;
  }
}

export function defaultClaimSpec(spec: PersistentVolumeClaimSpec): void {
  if (spec.volumeMode === undefined) spec.volumeMode = "Filesystem";
}

/** upstream's SetDefaults_PodSpec plus the container and volume defaults a pod (or a pod template) gets. */
export function defaultPodSpec(spec: PodSpec): void {
  if (!spec.dnsPolicy) spec.dnsPolicy = "ClusterFirst";
  if (!spec.restartPolicy) spec.restartPolicy = "Always";
  spec.securityContext ??= {};
  if (spec.terminationGracePeriodSeconds === undefined) spec.terminationGracePeriodSeconds = 30;
  if (!spec.schedulerName) spec.schedulerName = "default-scheduler";
  if (spec.enableServiceLinks === undefined) spec.enableServiceLinks = true;
  for (const container of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) defaultContainer(container);
  for (const volume of spec.volumes ?? []) {
    if (volume.hostPath && volume.hostPath.type === undefined) volume.hostPath.type = "";
    if (volume.secret && volume.secret.defaultMode === undefined) volume.secret.defaultMode = DefaultVolumeMode;
    if (volume.configMap && volume.configMap.defaultMode === undefined)
      volume.configMap.defaultMode = DefaultVolumeMode;
    if (volume.downwardAPI) {
      if (volume.downwardAPI.defaultMode === undefined) volume.downwardAPI.defaultMode = DefaultVolumeMode;
      for (const item of volume.downwardAPI.items ?? []) {
        if (item.fieldRef && !item.fieldRef.apiVersion) item.fieldRef.apiVersion = "v1";
      }
    }
    if (volume.projected) {
      if (volume.projected.defaultMode === undefined) volume.projected.defaultMode = DefaultVolumeMode;
      for (const source of volume.projected.sources ?? []) {
        if (source.serviceAccountToken && source.serviceAccountToken.expirationSeconds === undefined) {
          source.serviceAccountToken.expirationSeconds = 3600;
        }
        for (const item of source.downwardAPI?.items ?? []) {
          if (item.fieldRef && !item.fieldRef.apiVersion) item.fieldRef.apiVersion = "v1";
        }
      }
    }
    if (volume.iscsi && !volume.iscsi.iscsiInterface) volume.iscsi.iscsiInterface = "default";
    if (volume.ephemeral?.volumeClaimTemplate?.spec) defaultClaimSpec(volume.ephemeral.volumeClaimTemplate.spec);
  }
}

/** upstream's qos.GetPodQOS, over cpu and memory. */
export function podQOSClass(spec: PodSpec): NonNullable<PodStatus["qosClass"]> {
  const containers = [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
  let any = false;
  let guaranteed = true;
  for (const c of containers) {
    for (const resource of ["cpu", "memory"]) {
      const request = c.resources?.requests?.[resource];
      const limit = c.resources?.limits?.[resource];
      if (request !== undefined || limit !== undefined) any = true;
      if (limit === undefined || (request !== undefined && request !== limit)) guaranteed = false;
    }
  }
  if (!any) return "BestEffort";
  return guaranteed ? "Guaranteed" : "Burstable";
}

interface PodSummary {
  ready: string;
  reason: string;
  restarts: string;
}

/** printPod's READY/STATUS/RESTARTS logic, as upstream computes it. */
export function summarizePod(pod: Pod, now: Date): PodSummary {
  const spec = pod.spec ?? { containers: [] };
  const status = pod.status ?? {};
  let restarts = 0;
  let sidecarRestarts = 0;
  let total = spec.containers?.length ?? 0;
  let ready = 0;
  let lastRestart = 0;
  let lastSidecarRestart = 0;
  let reason: string = status.reason || status.phase || "";
  for (const condition of status.conditions ?? []) {
    if (condition.type === "PodScheduled" && condition.reason === "SchedulingGated") reason = "SchedulingGated";
  }
  const inits = new Map((spec.initContainers ?? []).map((c) => [c.name, c]));
  const isSidecar = (name: string): boolean => inits.get(name)?.restartPolicy === "Always";
  for (const c of spec.initContainers ?? []) if (c.restartPolicy === "Always") total++;

  let initializing = false;
  const initStatuses = status.initContainerStatuses ?? [];
  for (let i = 0; i < initStatuses.length; i++) {
    const c = initStatuses[i];
    restarts += c.restartCount;
    const finished = Date.parse(c.lastState?.terminated?.finishedAt ?? "");
    if (!Number.isNaN(finished)) lastRestart = Math.max(lastRestart, finished);
    if (isSidecar(c.name)) {
      sidecarRestarts += c.restartCount;
      if (!Number.isNaN(finished)) lastSidecarRestart = Math.max(lastSidecarRestart, finished);
    }
    const terminated = c.state?.terminated;
    const waiting = c.state?.waiting;
    if (terminated && terminated.exitCode === 0) continue;
    if (isSidecar(c.name) && c.started) {
      if (c.ready) ready++;
      continue;
    }
    if (terminated) {
      if (!terminated.reason) {
        reason = terminated.signal ? `Init:Signal:${terminated.signal}` : `Init:ExitCode:${terminated.exitCode}`;
      } else reason = `Init:${terminated.reason}`;
    } else if (waiting?.reason && waiting.reason !== "PodInitializing") {
      reason = `Init:${waiting.reason}`;
    } else {
      reason = `Init:${i}/${spec.initContainers?.length ?? 0}`;
    }
    initializing = true;
    break;
  }

  const initializedTrue = (status.conditions ?? []).some((c) => c.type === "Initialized" && c.status === "True");
  if (!initializing || initializedTrue) {
    restarts = sidecarRestarts;
    lastRestart = lastSidecarRestart;
    let hasRunning = false;
    const statuses = status.containerStatuses ?? [];
    for (let i = statuses.length - 1; i >= 0; i--) {
      const c = statuses[i];
      restarts += c.restartCount;
      const finished = Date.parse(c.lastState?.terminated?.finishedAt ?? "");
      if (!Number.isNaN(finished)) lastRestart = Math.max(lastRestart, finished);
      const waiting = c.state?.waiting;
      const terminated = c.state?.terminated;
      if (waiting?.reason) reason = waiting.reason;
      else if (terminated?.reason) reason = terminated.reason;
      else if (terminated)
        reason = terminated.signal ? `Signal:${terminated.signal}` : `ExitCode:${terminated.exitCode}`;
      else if (c.ready && c.state?.running) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === "Completed" && hasRunning) {
      const podReady = (status.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");
      reason = podReady ? "Running" : "NotReady";
    }
  }

  const terminal = status.phase === "Succeeded" || status.phase === "Failed";
  if (pod.metadata.deletionTimestamp && status.reason === "NodeLost") reason = "Unknown";
  else if (pod.metadata.deletionTimestamp && !terminal) reason = "Terminating";

  let restartsText = String(restarts);
  if (restarts !== 0 && lastRestart > 0) {
    restartsText = `${restarts} (${translateTimestampSince(new Date(lastRestart).toISOString(), now)} ago)`;
  }
  return { ready: `${ready}/${total}`, reason, restarts: restartsText };
}

export const pods: ResourceDefinition<Pod> = {
  group: "",
  version: "v1",
  kind: "Pod",
  listKind: "PodList",
  plural: "pods",
  singular: "pod",
  shortNames: ["po"],
  namespaced: true,
  categories: ["all"],
  hasStatus: true,
  verbs: standardVerbs,
  applyDefaults(pod) {
    pod.spec ??= { containers: [] };
    defaultPodSpec(pod.spec);
  },
  prepareForCreate(pod) {
    pod.status = { phase: "Pending", qosClass: podQOSClass(pod.spec ?? { containers: [] }) };
  },
  validateCreate: validatePod,
  validateUpdate: validatePodUpdate,
  validateStatusUpdate: (pod, old) => validateObjectMetaUpdate(pod.metadata, old.metadata),
  table: {
    columns: [
      nameColumn,
      column("Ready", "string", "The aggregate readiness state of this pod for accepting traffic."),
      column("Status", "string", "The aggregate status of the containers in this pod."),
      column(
        "Restarts",
        "string",
        "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.",
      ),
      ageColumn,
      column(
        "IP",
        "string",
        "podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.",
        1,
      ),
      column("Node", "string", "NodeName indicates in which node this pod is scheduled.", 1),
      column(
        "Nominated Node",
        "string",
        "nominatedNodeName is set only when this pod preempts other pods on the node.",
        1,
      ),
      column("Readiness Gates", "string", "If specified, all readiness gates will be evaluated for pod readiness.", 1),
    ],
    row(pod, now) {
      const summary = summarizePod(pod, now);
      const gates = pod.spec?.readinessGates ?? [];
      let readinessGates = "<none>";
      if (gates.length > 0) {
        const trueCount = gates.filter((gate) =>
          (pod.status?.conditions ?? []).some((c) => c.type === gate.conditionType && c.status === "True"),
        ).length;
        readinessGates = `${trueCount}/${gates.length}`;
      }
      return [
        pod.metadata.name,
        summary.ready,
        summary.reason,
        summary.restarts,
        translateTimestampSince(pod.metadata.creationTimestamp, now),
        pod.status?.podIPs?.[0]?.ip || "<none>",
        pod.spec?.nodeName || "<none>",
        pod.status?.nominatedNodeName || "<none>",
        readinessGates,
      ];
    },
  },
  selectableFields: (pod) => ({
    "spec.nodeName": pod.spec?.nodeName ?? "",
    "spec.restartPolicy": pod.spec?.restartPolicy ?? "",
    "spec.schedulerName": pod.spec?.schedulerName ?? "",
    "spec.serviceAccountName": pod.spec?.serviceAccountName ?? "",
    "spec.hostNetwork": String(pod.spec?.hostNetwork ?? false),
    "status.phase": pod.status?.phase ?? "",
    "status.podIP": pod.status?.podIPs?.[0]?.ip ?? "",
    "status.nominatedNodeName": pod.status?.nominatedNodeName ?? "",
  }),
};
