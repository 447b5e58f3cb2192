// Every resource the apiserver serves, one ResourceDefinition each (the definitions live beside their types).
import { persistentVolumeClaims } from "./core/persistentvolumeclaim.js";
import { persistentVolumes } from "./core/persistentvolume.js";
import type { KubeObject } from "./meta.js";
import type { ResourceDefinition } from "./resource.js";

// Each definition is typed for its own kind; the registry handles them as KubeObjects it has already parsed.
const widen = <T extends KubeObject>(definition: ResourceDefinition<T>): ResourceDefinition =>
  definition as unknown as ResourceDefinition;

export const resources: ResourceDefinition[] = [widen(persistentVolumes), widen(persistentVolumeClaims)];

const byPath = new Map(resources.map((r) => [`${r.group}/${r.version}/${r.plural}`, r]));

/** The resource served at /api(s)/{group}/{version}/{plural}; undefined if we do not serve it. */
export function findResource(group: string, version: string, plural: string): ResourceDefinition | undefined {
  return byPath.get(`${group}/${version}/${plural}`);
}

/** The resource for an apiVersion + kind (e.g. from a request body or an ownerReference). */
export function findResourceByKind(apiVersion: string, kind: string): ResourceDefinition | undefined {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/", 2) : ["", apiVersion];
  return resources.find((r) => r.group === group && r.version === version && r.kind === kind);
}
