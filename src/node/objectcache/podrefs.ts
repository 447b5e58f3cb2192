// The configMaps and secrets a pod names where the node agent reads them (upstream's podutil.VisitPodConfigmapNames
// and VisitPodSecretNames, less what the agent never reads, such as imagePullSecrets): configMap, secret and
// projected volumes, inline csi volumes' nodePublishSecretRef, and its containers' env and envFrom. The Node authorizer lets this node read exactly those.
import type { Container, Pod } from "../../api/core/types.js";
import type { ObjectReader } from "./reader.js";

/** "namespace/name" keys of the configMaps and of the secrets the pod names. */
export interface PodObjectKeys {
  configMaps: string[];
  secrets: string[];
}

function containerRefs(containers: Container[] | undefined, configMaps: Set<string>, secrets: Set<string>): void {
  for (const container of containers ?? []) {
    for (const from of container.envFrom ?? []) {
      if (from.configMapRef?.name) configMaps.add(from.configMapRef.name);
      if (from.secretRef?.name) secrets.add(from.secretRef.name);
    }
    for (const env of container.env ?? []) {
      if (env.valueFrom?.configMapKeyRef?.name) configMaps.add(env.valueFrom.configMapKeyRef.name);
      if (env.valueFrom?.secretKeyRef?.name) secrets.add(env.valueFrom.secretKeyRef.name);
    }
  }
}

export function podObjectKeys(pod: Pod): PodObjectKeys {
  const configMaps = new Set<string>();
  const secrets = new Set<string>();
  for (const volume of pod.spec.volumes ?? []) {
    if (volume.configMap?.name) configMaps.add(volume.configMap.name);
    if (volume.secret?.secretName) secrets.add(volume.secret.secretName);
    // an inline csi volume's publish secrets, which the agent hands its driver in NodePublishVolume
    if (volume.csi?.nodePublishSecretRef?.name) secrets.add(volume.csi.nodePublishSecretRef.name);
    for (const source of volume.projected?.sources ?? []) {
      if (source.configMap?.name) configMaps.add(source.configMap.name);
      if (source.secret?.name) secrets.add(source.secret.name);
    }
  }
  containerRefs(pod.spec.initContainers, configMaps, secrets);
  containerRefs(pod.spec.containers, configMaps, secrets);
  const namespace = pod.metadata.namespace ?? "default";
  const keys = (names: Set<string>) => [...names].sort().map((name) => `${namespace}/${name}`);
  return { configMaps: keys(configMaps), secrets: keys(secrets) };
}

/**
 * Resolves once every configMap and secret the pod names has been heard of (their watches listed), so the runtime
 * reads "missing" only for what is missing; rejects as ObjectReader.ready does.
 */
export async function podObjectsReady(
  pod: Pod,
  sources: { configMaps: ObjectReader<unknown>; secrets: ObjectReader<unknown> },
  signal?: AbortSignal,
): Promise<void> {
  const { configMaps, secrets } = podObjectKeys(pod);
  await Promise.all([
    ...configMaps.map((key) => sources.configMaps.ready?.(key, signal)),
    ...secrets.map((key) => sources.secrets.ready?.(key, signal)),
  ]);
}
