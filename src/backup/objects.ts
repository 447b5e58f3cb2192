// What a Backup holds: its namespaces' objects as `kubectl get -o yaml` prints them, minus what belongs to one
// cluster only (status, uid, resourceVersion, managedFields, creationTimestamp, generation), and what a Restore
// does to each one before it creates it again (claims lose their binding, pods their node).
import type { KubeObject } from "../api/meta.js";
import type { Backup } from "../api/backup/types.js";
import type { Client, ResourceDescriptor } from "../client/index.js";
import { apiVersionOf, resources } from "../client/index.js";
import { labelMatcherFromSelector } from "../api/selectors/labels.js";
import { moverLabel } from "./resources.js";

/** The kinds a backup takes, in the order a restore creates them: what others refer to first. */
export const backedUpResources: ResourceDescriptor<KubeObject, true>[] = [
  resources.serviceAccounts,
  resources.configMaps,
  resources.secrets,
  resources.persistentVolumeClaims,
  resources.statefulSets,
  resources.deployments,
  resources.pods,
] as unknown as ResourceDescriptor<KubeObject, true>[];

/** A Backup's contents: its namespaces and their objects, cleaned. */
export interface BackupManifest {
  namespaces: KubeObject[];
  items: KubeObject[];
}

/** Made by the cluster itself in every namespace: a restore would only collide with them. */
function madeByCluster(object: KubeObject): boolean {
  const { kind, metadata } = object;
  if (metadata.labels?.[moverLabel]) return true;
  if (kind === "ServiceAccount" && metadata.name === "default") return true;
  if (kind === "ConfigMap" && metadata.name === "kube-root-ca.crt") return true;
  if (kind === "Secret" && (object as { type?: string }).type === "kubernetes.io/service-account-token") return true;
  // A controller's pods (a StatefulSet's, a ReplicaSet's) come back from their controller.
  return (metadata.ownerReferences ?? []).some((ref) => ref.controller);
}

/** The object as a backup keeps it. */
export function cleaned<T extends KubeObject>(object: T): T {
  const copy = structuredClone(object) as T & { status?: unknown };
  delete copy.status;
  const metadata = copy.metadata as Record<string, unknown>;
  for (const field of ["uid", "resourceVersion", "managedFields", "creationTimestamp", "generation", "selfLink"]) {
    delete metadata[field];
  }
  return copy;
}

export async function collect(client: Client, backup: Backup): Promise<BackupManifest> {
  const spec = backup.spec;
  // No selector means every object (upstream's nil selector would match nothing).
  const matches = spec.labelSelector ? labelMatcherFromSelector(spec.labelSelector) : { matches: () => true };
  const all = (await client.namespaces.list()).items.map((ns) => ns.metadata.name ?? "");
  const included = spec.includedNamespaces?.length ? spec.includedNamespaces : ["*"];
  const names = all.filter(
    (name) => (included.includes("*") || included.includes(name)) && !spec.excludedNamespaces?.includes(name),
  );
  const namespaces = (await client.namespaces.list()).items
    .filter((ns) => names.includes(ns.metadata.name ?? ""))
    .map(cleaned);
  const items: KubeObject[] = [];
  for (const descriptor of backedUpResources) {
    const plural = descriptor.group ? `${descriptor.plural}.${descriptor.group}` : descriptor.plural;
    if (spec.includedResources?.length && !spec.includedResources.includes(plural)) continue;
    if (spec.excludedResources?.includes(plural)) continue;
    for (const namespace of names) {
      const list = await client.resource(descriptor).list({ namespace });
      for (const object of list.items) {
        if (madeByCluster(object) || !matches.matches(object.metadata.labels)) continue;
        items.push(cleaned({ ...object, apiVersion: apiVersionOf(descriptor), kind: descriptor.kind }));
      }
    }
  }
  return { namespaces, items };
}

/** Annotations that bind a claim to the volume it had: a restored claim gets a new one. */
const bindingAnnotations = [
  "pv.kubernetes.io/bind-completed",
  "pv.kubernetes.io/bound-by-controller",
  "volume.kubernetes.io/selected-node",
  "volume.beta.kubernetes.io/storage-provisioner",
  "volume.kubernetes.io/storage-provisioner",
];

/** The object as a Restore creates it in `namespace`. */
export function forRestore<T extends KubeObject>(object: T, namespace: string): T {
  const copy = structuredClone(object);
  copy.metadata.namespace = namespace;
  delete copy.metadata.finalizers;
  if (copy.kind === "PersistentVolumeClaim") {
    const spec = (copy as unknown as { spec: { volumeName?: string } }).spec;
    delete spec.volumeName;
    for (const name of bindingAnnotations) delete copy.metadata.annotations?.[name];
  }
  if (copy.kind === "Pod") delete (copy as unknown as { spec: { nodeName?: string } }).spec.nodeName;
  return copy;
}
