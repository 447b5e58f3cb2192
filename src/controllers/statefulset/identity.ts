// A StatefulSet's pods and claims as upstream's pkg/controller/statefulset/stateful_set_utils.go makes them: pod
// `<set>-<ordinal>` with the pod-name and pod-index labels and a controller reference to the set; one claim per
// volumeClaimTemplate named `<template>-<set>-<ordinal>`, which the pod's volume of the same name points at.
import type { StatefulSet, StatefulSetPersistentVolumeClaimRetentionPolicy } from "../../api/apps/types.js";
import type { PersistentVolumeClaim, Pod, Volume } from "../../api/core/types.js";
import type { OwnerReference } from "../../api/meta.js";
import { ControllerRevisionHashLabel } from "../../api/wellknown.js";

export const StatefulSetPodNameLabel = "statefulset.kubernetes.io/pod-name";
export const PodIndexLabel = "apps.kubernetes.io/pod-index";

export const podName = (set: StatefulSet, ordinal: number): string => `${set.metadata.name ?? ""}-${ordinal}`;

export const claimName = (set: StatefulSet, template: string, ordinal: number): string =>
  `${template}-${podName(set, ordinal)}`;

/** The first ordinal (spec.ordinals.start, default 0). */
export const startOrdinal = (set: StatefulSet): number => set.spec.ordinals?.start ?? 0;

/** The pod's ordinal when its name is `<set>-<n>`; undefined otherwise. */
export function ordinalOf(set: StatefulSet, pod: Pod): number | undefined {
  const prefix = `${set.metadata.name ?? ""}-`;
  const name = pod.metadata.name ?? "";
  if (!name.startsWith(prefix)) return undefined;
  const rest = name.slice(prefix.length);
  return /^(0|[1-9][0-9]*)$/.test(rest) ? Number(rest) : undefined;
}

export function setOwnerReference(set: StatefulSet, controller: boolean): OwnerReference {
  const ref: OwnerReference = {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    name: set.metadata.name ?? "",
    uid: set.metadata.uid ?? "",
  };
  if (controller) Object.assign(ref, { controller: true, blockOwnerDeletion: true });
  return ref;
}

export function podOwnerReference(pod: Pod): OwnerReference {
  return { apiVersion: "v1", kind: "Pod", name: pod.metadata.name ?? "", uid: pod.metadata.uid ?? "" };
}

/** True when the object's controller reference is this set (by uid). */
export function isControlledBy(object: { metadata: { ownerReferences?: OwnerReference[] } }, set: StatefulSet) {
  return (object.metadata.ownerReferences ?? []).some((ref) => ref.controller && ref.uid === set.metadata.uid);
}

/** The claim the set's template asks for at this ordinal (upstream getPersistentVolumeClaims). */
export function newClaim(set: StatefulSet, templateIndex: number, ordinal: number): PersistentVolumeClaim {
  const template = structuredClone(set.spec.volumeClaimTemplates?.[templateIndex]);
  if (!template) throw new Error(`no volumeClaimTemplate ${templateIndex}`);
  const templateName = template.metadata.name ?? "";
  // Upstream copies the set's matchLabels onto each claim so `kubectl get pvc -l app=…` finds them.
  const labels = { ...template.metadata.labels, ...set.spec.selector.matchLabels };
  return {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: {
      name: claimName(set, templateName, ordinal),
      namespace: set.metadata.namespace,
      labels,
      ...(template.metadata.annotations ? { annotations: template.metadata.annotations } : {}),
    },
    spec: template.spec,
  };
}

/**
 * The pod at this ordinal from this set's template (upstream newStatefulSetPod); with a revision, labelled
 * controller-revision-hash=<revision> as upstream's setPodRevision (the caller passes the set as of that revision).
 */
export function newPod(set: StatefulSet, ordinal: number, revision?: string): Pod {
  const template = structuredClone(set.spec.template);
  const name = podName(set, ordinal);
  const spec = template.spec;
  // Each template's claim replaces any volume of the same name in the pod template (upstream updateStorage).
  const claimVolumes: Volume[] = (set.spec.volumeClaimTemplates ?? []).map((t) => ({
    name: t.metadata.name ?? "",
    persistentVolumeClaim: { claimName: claimName(set, t.metadata.name ?? "", ordinal) },
  }));
  const names = new Set(claimVolumes.map((v) => v.name));
  spec.volumes = [...(spec.volumes ?? []).filter((v) => !names.has(v.name)), ...claimVolumes];
  // Stable network identity: hostname is the pod name, subdomain the governing service.
  spec.hostname = name;
  if (set.spec.serviceName) spec.subdomain = set.spec.serviceName;
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      ...template.metadata,
      name,
      namespace: set.metadata.namespace,
      labels: {
        ...template.metadata?.labels,
        [StatefulSetPodNameLabel]: name,
        [PodIndexLabel]: String(ordinal),
        ...(revision ? { [ControllerRevisionHashLabel]: revision } : {}),
      },
      ownerReferences: [setOwnerReference(set, true)],
    },
    spec,
  };
}

export type RetentionPolicy = Required<StatefulSetPersistentVolumeClaimRetentionPolicy>;

export const retentionPolicy = (set: StatefulSet): RetentionPolicy => ({
  whenDeleted: set.spec.persistentVolumeClaimRetentionPolicy?.whenDeleted ?? "Retain",
  whenScaled: set.spec.persistentVolumeClaimRetentionPolicy?.whenScaled ?? "Retain",
});

/**
 * The owner references a claim should carry under the retention policy (upstream
 * updateClaimOwnerRefForSetAndPod): whenScaled=Delete and the pod scaled away (ordinal out of range) → a controller
 * reference to the pod, so the garbage collector deletes the claim once the pod is gone; otherwise
 * whenDeleted=Delete → a controller reference to the set. Our references are scrubbed first; other owners' are kept,
 * and when another owner already controls the claim we add none. Returns undefined when nothing changes.
 */
export function claimOwnerReferences(
  claim: PersistentVolumeClaim,
  set: StatefulSet,
  pod: Pod | undefined,
  scaledAway: boolean,
): OwnerReference[] | undefined {
  const policy = retentionPolicy(set);
  const refs = claim.metadata.ownerReferences ?? [];
  const ours = (ref: OwnerReference) =>
    (ref.kind === "StatefulSet" && ref.name === set.metadata.name) ||
    (pod !== undefined && ref.kind === "Pod" && ref.name === pod.metadata.name);
  let next = refs.filter((ref) => !ours(ref));
  const unexpectedController = next.some((ref) => ref.controller);
  if (!unexpectedController) {
    const wantPod = policy.whenScaled === "Delete" && scaledAway && pod !== undefined;
    const wantSet = policy.whenDeleted === "Delete" && !wantPod;
    if (wantPod && pod) next = [...next, { ...podOwnerReference(pod), controller: true, blockOwnerDeletion: true }];
    if (wantSet) next = [...next, setOwnerReference(set, true)];
  }
  const key = (list: OwnerReference[]) => JSON.stringify(list.map((r) => [r.uid, r.kind, r.name, !!r.controller]));
  return key(next) === key(refs) ? undefined : next;
}
