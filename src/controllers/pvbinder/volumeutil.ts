// Small helpers of the binder's own: the keys its caches and queues use, and an annotation test. The storage
// rules themselves (class of a claim or volume, capacity, access and volume modes, claimRef, smallest fit) are
// the ones every part shares, in src/api/storagerules.
import type { PersistentVolumeClaim } from "../../api/core/types.js";
import type { ObjectReference } from "../../api/meta.js";

/** The key the informer caches a claim under, from a volume's claimRef. */
export function claimRefKey(ref: Pick<ObjectReference, "namespace" | "name">): string {
  return `${ref.namespace ?? ""}/${ref.name ?? ""}`;
}

export function claimKey(claim: PersistentVolumeClaim): string {
  return `${claim.metadata.namespace ?? ""}/${claim.metadata.name ?? ""}`;
}

export function hasAnnotation(object: { metadata: { annotations?: Record<string, string> } }, key: string): boolean {
  return object.metadata.annotations?.[key] !== undefined;
}
