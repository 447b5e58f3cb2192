// Cache and queue keys, as client-go's MetaNamespaceKeyFunc: "namespace/name", or "name" when cluster-scoped.
// Strings, so a WorkQueue<ObjectKey> de-duplicates them by value.
import type { KubeObject, ObjectReference } from "../api/meta.js";

export type ObjectKey = string;

export function keyOf(object: Pick<KubeObject, "metadata">): ObjectKey {
  const { namespace, name } = object.metadata;
  if (!name) throw new TypeError("an object without metadata.name has no key");
  return namespace ? `${namespace}/${name}` : name;
}

/** The key of what a reference (claimRef, involvedObject, …) points at. */
export function keyOfRef(ref: Pick<ObjectReference, "namespace" | "name">): ObjectKey {
  if (!ref.name) throw new TypeError("a reference without a name has no key");
  return ref.namespace ? `${ref.namespace}/${ref.name}` : ref.name;
}

export function splitKey(key: ObjectKey): { namespace?: string; name: string } {
  const slash = key.indexOf("/");
  if (slash < 0) return { name: key };
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}
