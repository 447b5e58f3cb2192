// Controller references and upstream's ControllerRefManager (pkg/controller/controller_ref_manager.go): a
// controller adopts the orphans its selector matches and releases the objects it owns that no longer match, each
// by a merge patch that carries the object's resourceVersion, so a concurrent change makes it retry, not clobber.
import type { KubeObject, OwnerReference } from "../../api/meta.js";
import type { LabelMatcher } from "../../api/selectors/labels.js";
import { isConflict, isNotFound } from "../../client/index.js";

export function controllerRef(owner: KubeObject): OwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name ?? "",
    uid: owner.metadata.uid ?? "",
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** The object's controller reference, if it has one. */
export const controllerOf = (object: KubeObject): OwnerReference | undefined =>
  (object.metadata.ownerReferences ?? []).find((ref) => ref.controller);

export const isControlledBy = (object: KubeObject, owner: KubeObject): boolean =>
  controllerOf(object)?.uid === owner.metadata.uid;

/** How a controller patches one of its dependents' metadata (merge patch). */
export type PatchMetadata = (object: KubeObject, patch: { metadata: Record<string, unknown> }) => Promise<unknown>;

/**
 * upstream ClaimObject for each candidate: the owner's objects that still match, plus the orphans it adopted.
 * An owner being deleted adopts nothing. Objects of another controller are never touched.
 */
export async function claimObjects<T extends KubeObject>(
  owner: KubeObject,
  selector: LabelMatcher,
  candidates: T[],
  patch: PatchMetadata,
): Promise<T[]> {
  const claimed: T[] = [];
  for (const object of candidates) {
    const ref = controllerOf(object);
    const matches = selector.matches(object.metadata.labels ?? {});
    const resourceVersion = object.metadata.resourceVersion;
    if (ref) {
      if (ref.uid !== owner.metadata.uid) continue;
      if (matches) {
        claimed.push(object);
        continue;
      }
      if (object.metadata.deletionTimestamp) continue;
      // No longer ours by its labels: release it (the garbage collector will then not delete it with us).
      const ownerReferences = (object.metadata.ownerReferences ?? []).filter((r) => r.uid !== owner.metadata.uid);
      await tolerateGone(patch(object, { metadata: { ownerReferences, resourceVersion } }));
      continue;
    }
    if (!matches || object.metadata.deletionTimestamp || owner.metadata.deletionTimestamp) continue;
    const ownerReferences = [...(object.metadata.ownerReferences ?? []), controllerRef(owner)];
    if (await tolerateGone(patch(object, { metadata: { ownerReferences, resourceVersion } })))
      claimed.push({ ...object, metadata: { ...object.metadata, ownerReferences } });
  }
  return claimed;
}

/** A dependent gone or changed meanwhile is not an error: its event brings the owner back. */
async function tolerateGone(write: Promise<unknown>): Promise<boolean> {
  try {
    await write;
    return true;
  } catch (err) {
    if (!isNotFound(err) && !isConflict(err)) throw err;
    return false;
  }
}
