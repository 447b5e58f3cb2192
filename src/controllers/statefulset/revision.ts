// A StatefulSet's revisions as upstream's pkg/controller/statefulset (stateful_set_utils.go newRevision/ApplyRevision,
// stateful_set_control.go getStatefulSetRevisions/truncateHistory) and pkg/controller/history make them. A revision
// is a ControllerRevision `<set>-<hash>` whose data is the strategic merge patch
// {"spec":{"template":{…,"$patch":"replace"}}} — the form `kubectl rollout history --revision` and
// `kubectl rollout undo` apply onto the set — labelled with the template's labels and controller-revision-hash.
import type { ControllerRevision, StatefulSet } from "../../api/apps/types.js";
import type { Pod, PodTemplateSpec } from "../../api/core/types.js";
import { deepEqual } from "../../api/validation/meta.js";
import type { ResourceDescriptor } from "../../client/index.js";
import { ControllerRevisionHashLabel } from "../../api/wellknown.js";
import { setOwnerReference } from "./identity.js";

/** Where ControllerRevisions live on the wire (the client's own table does not list them). */
export const controllerRevisionResource: ResourceDescriptor<ControllerRevision, true> = {
  group: "apps",
  version: "v1",
  kind: "ControllerRevision",
  plural: "controllerrevisions",
  namespaced: true,
};

/** The revision a pod was made from ("" when it carries no label, e.g. made before revisions existed). */
export const podRevision = (pod: Pod): string => pod.metadata.labels?.[ControllerRevisionHashLabel] ?? "";

/** upstream getPatch: the set's template as a patch that replaces the whole template. */
export function revisionData(set: StatefulSet): Record<string, unknown> {
  return { spec: { template: { ...structuredClone(set.spec.template), $patch: "replace" } } };
}

/** Go's hash/fnv New32 (FNV-1, multiply then xor), which upstream's ControllerRevision hash uses. */
function fnv1(bytes: Uint8Array, hash = 0x811c9dc5): number {
  for (const byte of bytes) hash = (Math.imul(hash, 0x01000193) ^ byte) >>> 0;
  return hash;
}

/** upstream rand.SafeEncodeString: each character to a consonant or digit that cannot spell words. */
const alphanums = "bcdfghjklmnpqrstvwxz2456789";
const safeEncode = (text: string): string =>
  [...text].map((c) => alphanums[(c.codePointAt(0) ?? 0) % alphanums.length]).join("");

/** upstream HashControllerRevision: FNV-1 of the data, then of the collision count, safely encoded. */
export function hashRevision(data: Record<string, unknown>, collisionCount: number): string {
  const encoder = new TextEncoder();
  const hash = fnv1(encoder.encode(String(collisionCount)), fnv1(encoder.encode(JSON.stringify(data))));
  return safeEncode(String(hash));
}

/** upstream newRevision: the revision the set's current spec describes, numbered `revision`. */
export function newRevision(set: StatefulSet, revision: number, collisionCount: number): ControllerRevision {
  const data = revisionData(set);
  const hash = hashRevision(data, collisionCount);
  const name = `${set.metadata.name ?? ""}-${hash}`;
  return {
    apiVersion: "apps/v1",
    kind: "ControllerRevision",
    metadata: {
      name,
      namespace: set.metadata.namespace,
      labels: { ...set.spec.template.metadata?.labels, [ControllerRevisionHashLabel]: hash },
      // Upstream copies the set's annotations (e.g. kubernetes.io/change-cause, shown by rollout history).
      ...(set.metadata.annotations ? { annotations: { ...set.metadata.annotations } } : {}),
      ownerReferences: [setOwnerReference(set, true)],
    },
    data,
    revision,
  };
}

/** upstream ApplyRevision: the set as it was at this revision (only the template is versioned). */
export function applyRevision(set: StatefulSet, revision: ControllerRevision): StatefulSet {
  const copy = structuredClone(set);
  copy.spec.template = templateOf(revision);
  return copy;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The pod template a revision records; throws when the data is not a StatefulSet revision's patch. */
export function templateOf(revision: ControllerRevision): PodTemplateSpec {
  const spec = isObject(revision.data) ? revision.data.spec : undefined;
  const template = isObject(spec) ? spec.template : undefined;
  if (!isObject(template) || !isObject(template.spec)) {
    throw new Error(`ControllerRevision ${revision.metadata.name} holds no spec.template`);
  }
  const copy = structuredClone(template);
  delete copy.$patch;
  return copy as unknown as PodTemplateSpec; // a template the apiserver validated when the set was written
}

/** upstream history.SortControllerRevisions: by revision number, then creation, then name. */
export function sortRevisions(revisions: readonly ControllerRevision[]): ControllerRevision[] {
  return [...revisions].sort(
    (a, b) =>
      a.revision - b.revision ||
      (a.metadata.creationTimestamp ?? "").localeCompare(b.metadata.creationTimestamp ?? "") ||
      (a.metadata.name ?? "").localeCompare(b.metadata.name ?? ""),
  );
}

/** upstream nextRevision: one more than the highest (1 for the first). */
export const nextRevision = (sorted: readonly ControllerRevision[]): number =>
  sorted.length === 0 ? 1 : (sorted[sorted.length - 1]?.revision ?? 0) + 1;

/** upstream history.EqualRevision: same data (the hash label is only a shortcut upstream). */
export const equalRevision = (a: ControllerRevision, b: ControllerRevision): boolean => deepEqual(a.data, b.data);

/** What getStatefulSetRevisions must do to make `wanted` the update revision. */
export type UpdateRevisionStep =
  | { kind: "use"; revision: ControllerRevision } // the newest revision already is the wanted one
  | { kind: "renumber"; revision: ControllerRevision; to: number } // a rollback to an older revision
  | { kind: "create"; revision: ControllerRevision };

export function updateRevisionStep(
  sorted: readonly ControllerRevision[],
  wanted: ControllerRevision,
): UpdateRevisionStep {
  const equal = sorted.filter((r) => equalRevision(r, wanted));
  const last = equal[equal.length - 1];
  if (last && last === sorted[sorted.length - 1]) return { kind: "use", revision: last };
  // Upstream reuses the old revision under the next number rather than writing a duplicate.
  if (last) return { kind: "renumber", revision: last, to: wanted.revision };
  return { kind: "create", revision: wanted };
}

/**
 * upstream truncateHistory: the revisions to delete so at most revisionHistoryLimit non-live ones remain, oldest
 * first. Live revisions (current, update, and any a pod still runs) are never deleted.
 */
export function revisionsToPrune(
  sorted: readonly ControllerRevision[],
  live: ReadonlySet<string>,
  limit: number,
): ControllerRevision[] {
  const history = sorted.filter((r) => !live.has(r.metadata.name ?? ""));
  return history.length <= limit ? [] : history.slice(0, history.length - limit);
}
