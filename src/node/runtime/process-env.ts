// A container's environment and command line as the kubelet builds them (kubelet_pods.go makeEnvironmentVariables,
// expansion.go): envFrom first, then env in order; valueFrom reads the pod's fields (downward API) and configMap or
// secret keys; $(NAME) in values, command and args expands to variables defined before it ($$ is a literal $).
// A missing source that is not optional stops the container with CreateContainerConfigError and upstream's text.
import type { ConfigMap, Container, Pod, Secret } from "../../api/core/types.js";
import type { ObjectReader } from "../objectcache/reader.js";
import type { ContainerUser } from "./runtime.js";

export class ContainerConfigError extends Error {
  override name = "ContainerConfigError";
}

export interface EnvSources {
  configMaps: ObjectReader<ConfigMap>;
  secrets: ObjectReader<Secret>;
  hostIP: string;
}

/** $(VAR) expansion (third_party/forked/golang/expansion): unknown names stay as written, $$(X) is a literal $(X). */
export function expand(text: string, env: Record<string, string>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (whole, name: string | undefined) => {
    if (name === undefined) return "$";
    return Object.prototype.hasOwnProperty.call(env, name) ? env[name] : whole;
  });
}

const fieldPathRe = /^metadata\.(labels|annotations)\['(.+)'\]$/;

function podField(pod: Pod, path: string, hostIP: string): string {
  const labeled = fieldPathRe.exec(path);
  if (labeled) {
    const map = labeled[1] === "labels" ? pod.metadata.labels : pod.metadata.annotations;
    return map?.[labeled[2]] ?? "";
  }
  switch (path) {
    case "metadata.name":
      return pod.metadata.name ?? "";
    case "metadata.namespace":
      return pod.metadata.namespace ?? "default";
    case "metadata.uid":
      return pod.metadata.uid ?? "";
    case "spec.nodeName":
      return pod.spec.nodeName ?? "";
    case "spec.serviceAccountName":
      return pod.spec.serviceAccountName ?? "";
    case "status.hostIP":
    case "status.hostIPs":
      return hostIP;
    case "status.podIP":
    case "status.podIPs":
      // No network namespace: the pod shares the node's addresses (as hostNetwork pods do).
      return pod.status?.podIP ?? hostIP;
    default:
      throw new ContainerConfigError(`unsupported fieldPath: ${path}`);
  }
}

const decode = (data: string) => Buffer.from(data, "base64").toString("utf8");

/** The container's environment: envFrom, then env (each value expanded against what came before). */
export function containerEnv(pod: Pod, container: Container, sources: EnvSources): Record<string, string> {
  const namespace = pod.metadata.namespace ?? "default";
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    const prefix = from.prefix ?? "";
    if (from.configMapRef) {
      const name = from.configMapRef.name ?? "";
      const configMap = sources.configMaps.get(`${namespace}/${name}`);
      if (!configMap) {
        if (from.configMapRef.optional) continue;
        throw new ContainerConfigError(`configmap "${name}" not found`);
      }
      for (const [key, value] of Object.entries(configMap.data ?? {})) env[prefix + key] = value;
    } else if (from.secretRef) {
      const name = from.secretRef.name ?? "";
      const secret = sources.secrets.get(`${namespace}/${name}`);
      if (!secret) {
        if (from.secretRef.optional) continue;
        throw new ContainerConfigError(`secret "${name}" not found`);
      }
      for (const [key, value] of Object.entries(secret.data ?? {})) env[prefix + key] = decode(value);
      for (const [key, value] of Object.entries(secret.stringData ?? {})) env[prefix + key] = value;
    }
  }
  for (const variable of container.env ?? []) {
    const from = variable.valueFrom;
    if (!from) {
      env[variable.name] = expand(variable.value ?? "", env);
      continue;
    }
    if (from.fieldRef) {
      env[variable.name] = podField(pod, from.fieldRef.fieldPath, sources.hostIP);
    } else if (from.configMapKeyRef) {
      const { name = "", key, optional } = from.configMapKeyRef;
      const configMap = sources.configMaps.get(`${namespace}/${name}`);
      const value = configMap?.data?.[key];
      if (value !== undefined) env[variable.name] = value;
      else if (!optional) {
        throw new ContainerConfigError(
          configMap ? `couldn't find key ${key} in ConfigMap ${namespace}/${name}` : `configmap "${name}" not found`,
        );
      }
    } else if (from.secretKeyRef) {
      const { name = "", key, optional } = from.secretKeyRef;
      const secret = sources.secrets.get(`${namespace}/${name}`);
      const value = secret?.data?.[key] !== undefined ? decode(secret.data[key]) : secret?.stringData?.[key];
      if (value !== undefined) env[variable.name] = value;
      else if (!optional) {
        throw new ContainerConfigError(
          secret ? `couldn't find key ${key} in Secret ${namespace}/${name}` : `secret "${name}" not found`,
        );
      }
    } else if (from.resourceFieldRef) {
      // Nothing limits a process container; upstream then reports the node's allocatable, which we do not track.
      const limit = container.resources?.limits?.[from.resourceFieldRef.resource.replace(/^limits\./, "")];
      env[variable.name] = limit ?? "0";
    }
  }
  // What every container gets from its runtime: a PATH (from the image, conventionally) and its hostname.
  env.PATH ??= "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  env.HOSTNAME ??= pod.spec.hostname ?? pod.metadata.name ?? "";
  return env;
}

/**
 * What the process runs: command + args with $(VAR) expanded; args alone when there is no command (the image's
 * entrypoint would run them); with neither, the container idles (`sleep infinity`) as there is no image to run.
 */
export function containerArgv(container: Container, env: Record<string, string>): string[] {
  const argv = [...(container.command ?? []), ...(container.args ?? [])].map((a) => expand(a, env));
  return argv.length ? argv : ["sleep", "infinity"];
}

/**
 * The user a container runs as: container securityContext over the pod's (runAsUser, runAsGroup), the pod's
 * supplementalGroups (and fsGroup, as the kubelet adds it). runAsNonRoot with no non-zero runAsUser is refused as
 * upstream refuses it (there is no image to name a user).
 */
export function containerUser(pod: Pod, container: Container): ContainerUser | undefined {
  const own = container.securityContext ?? {};
  const number = (value: unknown) =>
    typeof value === "number" && Number.isInteger(value) && value >= 0 ? value : undefined;
  const podContext = pod.spec.securityContext ?? {};
  const uid = number(own.runAsUser) ?? podContext.runAsUser;
  const gid = number(own.runAsGroup) ?? podContext.runAsGroup;
  const nonRoot = typeof own.runAsNonRoot === "boolean" ? own.runAsNonRoot : podContext.runAsNonRoot;
  if (nonRoot && !uid) {
    throw new ContainerConfigError(
      uid === 0
        ? `container's runAsUser breaks non-root policy (pod: "${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})", container: ${container.name})`
        : "container has runAsNonRoot and image will run as root " +
            `(pod: "${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})", container: ${container.name})`,
    );
  }
  const groups = [
    ...(podContext.supplementalGroups ?? []),
    ...(podContext.fsGroup !== undefined ? [podContext.fsGroup] : []),
  ];
  if (uid === undefined && gid === undefined && groups.length === 0) return undefined;
  return { uid: uid ?? 0, gid: gid ?? 0, groups };
}
