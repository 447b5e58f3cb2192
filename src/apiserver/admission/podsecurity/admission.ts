// The PodSecurity admission plugin (upstream's, on by default). Pods: a namespace labelled
// pod-security.kubernetes.io/enforce=<level> refuses a pod that breaks that level of the Pod Security Standards with
// upstream's Forbidden message; warn=<level> lets it in with a Warning kubectl prints; audit=<level> records an audit
// annotation. Pod controllers (a StatefulSet's template) get warn and audit only, as upstream. A namespace whose
// enforce label tightens is labelled, with warnings naming the existing pods the new level would refuse.
import type { Pod } from "../../../api/core/types.js";
import type { KubeObject } from "../../../api/meta.js";
import { StatusError } from "../../errors.js";
import type { AdmissionAttributes, AdmissionPlugin, ObjectReader } from "../types.js";
import { enforceTightened, existingPodWarnings } from "./namespace.js";
import {
  enforcePolicyAnnotation,
  fullyPrivileged,
  namespacePolicy,
  podSecurity,
  type PodSecurityDecision,
} from "./policy.js";

/** Where each pod controller keeps its pod template (upstream's DefaultPodSpecExtractor); stowage serves StatefulSets. */
const templates: Record<string, (object: KubeObject) => unknown> = {
  "/replicationcontrollers": (o) => spec(o)?.template,
  "/podtemplates": (o) => (o as KubeObject & { template?: unknown }).template,
  "apps/replicasets": (o) => spec(o)?.template,
  "apps/deployments": (o) => spec(o)?.template,
  "apps/statefulsets": (o) => spec(o)?.template,
  "apps/daemonsets": (o) => spec(o)?.template,
  "batch/jobs": (o) => spec(o)?.template,
  "batch/cronjobs": (o) => (spec(o)?.jobTemplate as { spec?: { template?: unknown } } | undefined)?.spec?.template,
};
function spec(object: KubeObject): Record<string, unknown> | undefined {
  const value = (object as KubeObject & { spec?: unknown }).spec;
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : undefined;
}

/** A template as the pod it stamps out; undefined when it has no pod spec to check. */
function templatePod(template: unknown): Pod | undefined {
  const t = template as { metadata?: Pod["metadata"]; spec?: Pod["spec"] } | undefined;
  if (!t?.spec || !Array.isArray(t.spec.containers)) return undefined;
  return { apiVersion: "v1", kind: "Pod", metadata: t.metadata ?? {}, spec: t.spec };
}

/** upstream's isSignificantPodUpdate: of a pod's spec only images may change, and only they can newly break a level. */
function significantPodUpdate(pod: Pod, old: Pod): boolean {
  const pairs = [
    [pod.spec.containers, old.spec.containers],
    [pod.spec.initContainers ?? [], old.spec.initContainers ?? []],
  ] as const;
  return pairs.some(([next, prev]) => next.length !== prev.length || next.some((c, i) => c.image !== prev[i].image));
}

function record(attrs: AdmissionAttributes, decision: PodSecurityDecision): void {
  Object.assign(attrs.auditAnnotations, decision.auditAnnotations);
  attrs.warnings.push(...decision.warnings);
}

async function policyOf(reader: ObjectReader, namespace: string) {
  return namespacePolicy((await reader.get("", "namespaces", undefined, namespace))?.metadata.labels);
}

async function validatePod(attrs: AdmissionAttributes, reader: ObjectReader): Promise<void> {
  const { operation, subresource, namespace, object, old } = attrs;
  if (subresource || !namespace || !object || (operation !== "CREATE" && operation !== "UPDATE")) return;
  if (operation === "UPDATE" && old && !significantPodUpdate(object as Pod, old as Pod)) return;
  const policy = await policyOf(reader, namespace);
  if (fullyPrivileged(policy)) {
    // upstream's privilegedResponse: nothing to check, the policy recorded at its latest version
    attrs.auditAnnotations[enforcePolicyAnnotation] = "privileged:latest";
    return;
  }
  const decision = podSecurity(policy, object as Pod);
  record(attrs, decision);
  if (decision.forbidden) {
    throw new StatusError(403, "Forbidden", `pods "${attrs.name}" is forbidden: ${decision.forbidden}`, {
      name: attrs.name,
      kind: "pods",
    });
  }
}

async function validatePodController(attrs: AdmissionAttributes, reader: ObjectReader): Promise<void> {
  const { operation, subresource, namespace, object } = attrs;
  const template = templates[`${attrs.def.group}/${attrs.def.plural}`];
  if (!template || subresource || !namespace || !object || (operation !== "CREATE" && operation !== "UPDATE")) return;
  const policy = await policyOf(reader, namespace);
  if (policy.warn.level === "privileged" && policy.audit.level === "privileged") return;
  const pod = templatePod(template(object));
  if (pod) record(attrs, podSecurity(policy, pod, false));
}

async function validateNamespace(attrs: AdmissionAttributes, reader: ObjectReader): Promise<void> {
  const { operation, subresource, object, old } = attrs;
  if (operation !== "UPDATE" || subresource || !object || !old) return;
  const next = namespacePolicy(object.metadata.labels);
  if (!enforceTightened(next, namespacePolicy(old.metadata.labels))) return;
  const name = object.metadata.name ?? "";
  const pods = (await reader.list("", "pods", name)) as Pod[];
  attrs.warnings.push(...existingPodWarnings(name, next.enforce, pods));
}

export const podSecurityAdmission: AdmissionPlugin = {
  name: "PodSecurity",
  async validate(attrs, reader) {
    if (attrs.def.group === "" && attrs.def.plural === "pods") return validatePod(attrs, reader);
    if (attrs.def.group === "" && attrs.def.plural === "namespaces") return validateNamespace(attrs, reader);
    return validatePodController(attrs, reader);
  },
};
