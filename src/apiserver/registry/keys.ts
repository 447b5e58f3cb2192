// Store keys, laid out as upstream's etcd registry lays them out: /registry/<group>/<resource>/<namespace>/<name>
// (core resources without a group segment), so that a prefix selects a resource, or a resource in one namespace.
import type { ResourceDefinition } from "../../api/resource.js";

export const resourcePrefix = (def: ResourceDefinition): string =>
  def.group ? `/registry/${def.group}/${def.plural}/` : `/registry/${def.plural}/`;

/** The prefix of one namespace's objects (namespaced resources), or of all of them. */
export function listPrefix(def: ResourceDefinition, namespace: string | undefined): string {
  const base = resourcePrefix(def);
  return def.namespaced && namespace ? `${base}${namespace}/` : base;
}

export function objectKey(def: ResourceDefinition, namespace: string | undefined, name: string): string {
  const base = resourcePrefix(def);
  return def.namespaced ? `${base}${namespace ?? ""}/${name}` : `${base}${name}`;
}
