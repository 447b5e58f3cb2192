// Pod Security Standards, as upstream's pod-security-admission checks them (policy/check_*.go, level "latest"):
// each check looks at one thing a pod asks for and, when the level forbids it, says so in upstream's words —
// the reason ("hostPath volumes") and the detail naming the offending container or volume.
import type { Container, Pod } from "../../../api/core/types.js";

export type Level = "privileged" | "baseline" | "restricted";

export interface Violation {
  reason: string;
  detail: string;
}

/** The securityContext fields the checks read, parsed from the pod's loosely typed ones. */
interface SecurityContextView {
  privileged?: boolean;
  allowPrivilegeEscalation?: boolean;
  runAsNonRoot?: boolean;
  runAsUser?: number;
  procMount?: string;
  capabilities?: { add: string[]; drop: string[] };
  seccompType?: string;
}

function view(context: unknown): SecurityContextView {
  if (typeof context !== "object" || context === null) return {};
  const c = context as Record<string, unknown>;
  const strings = (v: unknown) => (Array.isArray(v) ? v.filter((s): s is string => typeof s === "string") : []);
  const caps = c.capabilities as Record<string, unknown> | undefined;
  const seccomp = c.seccompProfile as Record<string, unknown> | undefined;
  return {
    privileged: typeof c.privileged === "boolean" ? c.privileged : undefined,
    allowPrivilegeEscalation: typeof c.allowPrivilegeEscalation === "boolean" ? c.allowPrivilegeEscalation : undefined,
    runAsNonRoot: typeof c.runAsNonRoot === "boolean" ? c.runAsNonRoot : undefined,
    runAsUser: typeof c.runAsUser === "number" ? c.runAsUser : undefined,
    procMount: typeof c.procMount === "string" ? c.procMount : undefined,
    capabilities: caps ? { add: strings(caps.add), drop: strings(caps.drop) } : undefined,
    seccompType: typeof seccomp?.type === "string" ? seccomp.type : undefined,
  };
}

const containersOf = (pod: Pod): Container[] => [...(pod.spec.initContainers ?? []), ...pod.spec.containers];

/** upstream's pluralize + joinQuote: `container "a"` / `containers "a", "b"`. */
function named(kind: string, names: string[]): string {
  const quoted = names.map((n) => JSON.stringify(n)).join(", ");
  return `${names.length === 1 ? kind : `${kind}s`} ${quoted}`;
}

function offending(pod: Pod, test: (c: Container, sc: SecurityContextView) => boolean): string[] {
  return containersOf(pod)
    .filter((c) => test(c, view(c.securityContext)))
    .map((c) => c.name);
}

const baselineCapabilities = new Set([
  "AUDIT_WRITE",
  "CHOWN",
  "DAC_OVERRIDE",
  "FOWNER",
  "FSETID",
  "KILL",
  "MKNOD",
  "NET_BIND_SERVICE",
  "SETFCAP",
  "SETGID",
  "SETPCAP",
  "SETUID",
  "SYS_CHROOT",
]);
const restrictedVolumeTypes = new Set([
  "configMap",
  "csi",
  "downwardAPI",
  "emptyDir",
  "ephemeral",
  "persistentVolumeClaim",
  "projected",
  "secret",
]);

type Check = (pod: Pod) => Violation | undefined;

const hostNamespaces: Check = (pod) => {
  const set = (["hostNetwork", "hostPID", "hostIPC"] as const).filter((f) => pod.spec[f] === true);
  return set.length ? { reason: "host namespaces", detail: set.map((f) => `${f}=true`).join(", ") } : undefined;
};

const privileged: Check = (pod) => {
  const names = offending(pod, (_, sc) => sc.privileged === true);
  return names.length
    ? { reason: "privileged", detail: `${named("container", names)} must not set securityContext.privileged=true` }
    : undefined;
};

/** Containers adding capabilities outside `allowed`, and those capabilities (sorted, once each), as upstream reports them. */
function addedBeyond(pod: Pod, allowed: Set<string>): string | undefined {
  const extra = new Set<string>();
  const names = offending(pod, (_, sc) => {
    const beyond = (sc.capabilities?.add ?? []).filter((cap) => !allowed.has(cap));
    beyond.forEach((cap) => extra.add(cap));
    return beyond.length > 0;
  });
  if (!names.length) return undefined;
  const quoted = [...extra].sort().map((cap) => JSON.stringify(cap));
  return `${named("container", names)} must not include ${quoted.join(", ")} in securityContext.capabilities.add`;
}

const capabilitiesBaseline: Check = (pod) => {
  const detail = addedBeyond(pod, baselineCapabilities);
  return detail ? { reason: "non-default capabilities", detail } : undefined;
};

/** Restricted: every container drops ALL and adds at most NET_BIND_SERVICE, one reason for both. */
const capabilitiesRestricted: Check = (pod) => {
  const missingDrop = offending(pod, (_, sc) => !(sc.capabilities?.drop ?? []).includes("ALL"));
  const details = [
    ...(missingDrop.length
      ? [`${named("container", missingDrop)} must set securityContext.capabilities.drop=["ALL"]`]
      : []),
    ...[addedBeyond(pod, new Set(["NET_BIND_SERVICE"]))].filter((d): d is string => d !== undefined),
  ];
  return details.length ? { reason: "unrestricted capabilities", detail: details.join("; ") } : undefined;
};

const hostPathVolumes: Check = (pod) => {
  const names = (pod.spec.volumes ?? []).filter((v) => v.hostPath).map((v) => v.name);
  return names.length ? { reason: "hostPath volumes", detail: named("volume", names) } : undefined;
};

const hostPorts: Check = (pod) => {
  const details = containersOf(pod).flatMap((c) => {
    const ports = (c.ports ?? []).map((p) => p.hostPort ?? 0).filter((p) => p !== 0);
    return ports.length
      ? [`${named("container", [c.name])} uses ${ports.length === 1 ? "hostPort" : "hostPorts"} ${ports.join(", ")}`]
      : [];
  });
  return details.length ? { reason: "hostPort", detail: details.join("; ") } : undefined;
};

const procMount: Check = (pod) => {
  const names = offending(pod, (_, sc) => sc.procMount !== undefined && sc.procMount !== "Default");
  return names.length
    ? {
        reason: "procMount",
        detail: `${named("container", names)} must not set securityContext.procMount to "Unmasked"`,
      }
    : undefined;
};

const seccompBaseline: Check = (pod) => {
  const podType = view(pod.spec.securityContext).seccompType;
  const names = offending(pod, (_, sc) => sc.seccompType === "Unconfined");
  const parts = [...(podType === "Unconfined" ? ["pod"] : []), ...(names.length ? [named("container", names)] : [])];
  return parts.length
    ? {
        reason: "seccompProfile",
        detail: `${parts.join(" and ")} must not set securityContext.seccompProfile.type to "Unconfined"`,
      }
    : undefined;
};

/** upstream's one detail for all: `volumes "a", "b" use restricted volume types "hostPath", "nfs"` (types sorted). */
const restrictedVolumes: Check = (pod) => {
  const names: string[] = [];
  const types = new Set<string>();
  for (const volume of pod.spec.volumes ?? []) {
    const type = Object.keys(volume).find((k) => k !== "name");
    if (type && !restrictedVolumeTypes.has(type)) {
      names.push(volume.name);
      types.add(type);
    }
  }
  if (!names.length) return undefined;
  const quoted = [...types].sort().map((t) => JSON.stringify(t));
  const verb = names.length === 1 ? "uses" : "use";
  const noun = types.size === 1 ? "restricted volume type" : "restricted volume types";
  return {
    reason: "restricted volume types",
    detail: `${named("volume", names)} ${verb} ${noun} ${quoted.join(", ")}`,
  };
};

const allowPrivilegeEscalation: Check = (pod) => {
  const names = offending(pod, (_, sc) => sc.allowPrivilegeEscalation !== false);
  return names.length
    ? {
        reason: "allowPrivilegeEscalation != false",
        detail: `${named("container", names)} must set securityContext.allowPrivilegeEscalation=false`,
      }
    : undefined;
};

const runAsNonRoot: Check = (pod) => {
  const podValue = view(pod.spec.securityContext).runAsNonRoot;
  const names = offending(pod, (_, sc) => (sc.runAsNonRoot ?? podValue) !== true);
  if (!names.length) return undefined;
  const who = podValue === true ? named("container", names) : `pod or ${named("container", names)}`;
  return { reason: "runAsNonRoot != true", detail: `${who} must set securityContext.runAsNonRoot=true` };
};

const runAsUserRoot: Check = (pod) => {
  const podUser = view(pod.spec.securityContext).runAsUser;
  const names = offending(pod, (_, sc) => sc.runAsUser === 0);
  const parts = [...(podUser === 0 ? ["pod"] : []), ...(names.length ? [named("container", names)] : [])];
  return parts.length
    ? { reason: "runAsUser=0", detail: `${parts.join(" and ")} must not set runAsUser=0` }
    : undefined;
};

const seccompRestricted: Check = (pod) => {
  const podType = view(pod.spec.securityContext).seccompType;
  const ok = (type: string | undefined) => type === "RuntimeDefault" || type === "Localhost";
  const names = offending(pod, (_, sc) => !ok(sc.seccompType ?? podType));
  if (!names.length) return undefined;
  const who = podType === undefined ? `pod or ${named("container", names)}` : named("container", names);
  return {
    reason: "seccompProfile",
    detail: `${who} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"`,
  };
};

// upstream's order: baseline checks by ID (capabilities_baseline, hostNamespaces, …), then restricted ones by ID; at
// restricted, capabilities_restricted and seccompProfile_restricted replace their baseline counterparts
const baselineShared: Check[] = [hostNamespaces, hostPathVolumes, hostPorts, privileged, procMount];
const baseline: Check[] = [capabilitiesBaseline, ...baselineShared, seccompBaseline];
const restricted: Check[] = [
  ...baselineShared,
  allowPrivilegeEscalation,
  capabilitiesRestricted,
  restrictedVolumes,
  runAsNonRoot,
  runAsUserRoot,
  seccompRestricted,
];

/** Every way the pod breaks the level, in upstream's order; none for privileged. */
export function violations(pod: Pod, level: Level): Violation[] {
  const checks = level === "restricted" ? restricted : level === "baseline" ? baseline : [];
  return checks.map((check) => check(pod)).filter((v): v is Violation => v !== undefined);
}

/** upstream's aggregate message: "reason (detail), reason (detail)". */
export const describeViolations = (found: Violation[]): string =>
  found.map((v) => (v.detail ? `${v.reason} (${v.detail})` : v.reason)).join(", ");
