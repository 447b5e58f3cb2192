// What each node may read, as upstream's Node authorizer graph (plugin/pkg/auth/authorizer/node/graph.go): a node
// reaches the Secrets, ConfigMaps, ServiceAccounts and claims its pods name, the PersistentVolumes those claims
// are bound to, the Secrets those volumes name, and the VolumeAttachments made for it. The apiserver keeps the
// graph current from its store's watch.
import type { Container, PersistentVolume, PersistentVolumeClaim, Pod } from "../../api/core/types.js";
import type { VolumeAttachment } from "../../api/storage/types.js";

/** The objects one pod makes reachable from its node. */
interface PodEdges {
  node: string;
  namespace: string;
  secrets: string[];
  configMaps: string[];
  claims: string[];
  serviceAccount: string;
}

function containerRefs(containers: Container[] | undefined, secrets: Set<string>, configMaps: Set<string>): void {
  for (const container of containers ?? []) {
    for (const env of container.env ?? []) {
      if (env.valueFrom?.secretKeyRef?.name) secrets.add(env.valueFrom.secretKeyRef.name);
      if (env.valueFrom?.configMapKeyRef?.name) configMaps.add(env.valueFrom.configMapKeyRef.name);
    }
    for (const from of container.envFrom ?? []) {
      if (from.secretRef?.name) secrets.add(from.secretRef.name);
      if (from.configMapRef?.name) configMaps.add(from.configMapRef.name);
    }
  }
}

/** upstream's podToGraph: every object a pod names, by kind. */
export function podEdges(pod: Pod): PodEdges {
  const secrets = new Set<string>();
  const configMaps = new Set<string>();
  const claims = new Set<string>();
  for (const ref of pod.spec.imagePullSecrets ?? []) if (ref.name) secrets.add(ref.name);
  containerRefs(pod.spec.initContainers, secrets, configMaps);
  containerRefs(pod.spec.containers, secrets, configMaps);
  for (const volume of pod.spec.volumes ?? []) {
    if (volume.secret?.secretName) secrets.add(volume.secret.secretName);
    if (volume.configMap?.name) configMaps.add(volume.configMap.name);
    if (volume.csi?.nodePublishSecretRef?.name) secrets.add(volume.csi.nodePublishSecretRef.name);
    if (volume.iscsi?.secretRef?.name) secrets.add(volume.iscsi.secretRef.name);
    if (volume.persistentVolumeClaim?.claimName) claims.add(volume.persistentVolumeClaim.claimName);
    // a generic ephemeral volume's claim is named <pod>-<volume>
    if (volume.ephemeral) claims.add(`${pod.metadata.name}-${volume.name}`);
    for (const source of volume.projected?.sources ?? []) {
      if (source.secret?.name) secrets.add(source.secret.name);
      if (source.configMap?.name) configMaps.add(source.configMap.name);
    }
  }
  return {
    node: pod.spec.nodeName ?? "",
    namespace: pod.metadata.namespace ?? "",
    secrets: [...secrets],
    configMaps: [...configMaps],
    claims: [...claims],
    serviceAccount: pod.spec.serviceAccountName ?? "default",
  };
}

/** The Secrets a PersistentVolume names (its CSI secret references), as namespace/name. */
function volumeSecrets(volume: PersistentVolume): string[] {
  const csi = volume.spec.csi;
  if (!csi) return [];
  const refs = [
    csi.controllerPublishSecretRef,
    csi.nodeStageSecretRef,
    csi.nodePublishSecretRef,
    csi.controllerExpandSecretRef,
    csi.nodeExpandSecretRef,
  ];
  return refs.filter((ref) => ref?.name).map((ref) => `${ref?.namespace ?? ""}/${ref?.name ?? ""}`);
}

export type GraphObject =
  | { kind: "Pod"; object: Pod }
  | { kind: "PersistentVolumeClaim"; object: PersistentVolumeClaim }
  | { kind: "PersistentVolume"; object: PersistentVolume }
  | { kind: "VolumeAttachment"; object: VolumeAttachment };

export class NodeGraph {
  /** namespace/name → edges, only for pods bound to a node */
  private readonly pods = new Map<string, PodEdges>();
  /** namespace/name → the PersistentVolume the claim is bound to */
  private readonly claimVolumes = new Map<string, string>();
  private readonly volumeSecretRefs = new Map<string, string[]>();
  private readonly attachmentNodes = new Map<string, string>();

  /** Adds or replaces an object; `deleted` removes it. */
  apply(change: GraphObject, deleted = false): void {
    const { metadata } = change.object;
    const key = `${metadata.namespace ?? ""}/${metadata.name ?? ""}`;
    switch (change.kind) {
      case "Pod": {
        const edges = deleted ? undefined : podEdges(change.object);
        if (edges?.node) this.pods.set(key, edges);
        else this.pods.delete(key);
        return;
      }
      case "PersistentVolumeClaim":
        return update(this.claimVolumes, key, deleted ? undefined : change.object.spec.volumeName);
      case "PersistentVolume":
        return update(this.volumeSecretRefs, metadata.name ?? "", deleted ? undefined : volumeSecrets(change.object));
      case "VolumeAttachment":
        return update(this.attachmentNodes, metadata.name ?? "", deleted ? undefined : change.object.spec.nodeName);
    }
  }

  private *podsOn(node: string): Generator<PodEdges> {
    for (const edges of this.pods.values()) if (edges.node === node) yield edges;
  }

  private *volumesOf(node: string): Generator<string> {
    for (const pod of this.podsOn(node)) {
      for (const claim of pod.claims) {
        const volume = this.claimVolumes.get(`${pod.namespace}/${claim}`);
        if (volume) yield volume;
      }
    }
  }

  /** Whether the node has a path to the object, as upstream's graph search answers it. */
  reaches(node: string, resource: string, namespace: string, name: string): boolean {
    const inNamespace = (pod: PodEdges) => pod.namespace === namespace;
    switch (resource) {
      case "secrets":
        for (const pod of this.podsOn(node)) if (inNamespace(pod) && pod.secrets.includes(name)) return true;
        for (const volume of this.volumesOf(node))
          if (this.volumeSecretRefs.get(volume)?.includes(`${namespace}/${name}`)) return true;
        return false;
      case "configmaps":
        return some(this.podsOn(node), (pod) => inNamespace(pod) && pod.configMaps.includes(name));
      case "persistentvolumeclaims":
        return some(this.podsOn(node), (pod) => inNamespace(pod) && pod.claims.includes(name));
      case "serviceaccounts":
        return some(this.podsOn(node), (pod) => inNamespace(pod) && pod.serviceAccount === name);
      case "persistentvolumes":
        return some(this.volumesOf(node), (volume) => volume === name);
      case "volumeattachments":
        return this.attachmentNodes.get(name) === node;
      default:
        return false;
    }
  }
}

function update<T>(map: Map<string, T>, key: string, value: T | undefined): void {
  if (value === undefined) map.delete(key);
  else map.set(key, value);
}

function some<T>(items: Iterable<T>, test: (item: T) => boolean): boolean {
  for (const item of items) if (test(item)) return true;
  return false;
}
