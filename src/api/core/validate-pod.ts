// Pod spec validation as upstream's pkg/apis/core/validation (the parts the storage flow exercises): containers,
// volumes (one source each, unique names), volumeMounts and volumeDevices that name existing volumes, env,
// restart and DNS policies, node selector, affinity, tolerations.
import { FieldPath, duplicate, forbidden, invalid, notFound, notSupported, required } from "../field.js";
import type { FieldError } from "../field.js";
import {
  deepEqual,
  validateLabelName,
  validateLabels,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from "../validation/meta.js";
import { nameIsDNSSubdomain } from "../validation/names.js";
import type { Container, Pod, PodSpec, Toleration } from "./types.js";
import { parseQuantityField, validateNodeSelector } from "./validate-volumes.js";
import {
  validateDNS1123Label,
  validateLocalDescendingPath,
  validateVolumeName,
  validateVolumeSource,
} from "./validate-volumesource.js";
import type { VolumeSource } from "./volumes.js";

const restartPolicies = ["Always", "OnFailure", "Never"];
const dnsPolicies = ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"];
const pullPolicies = ["Always", "IfNotPresent", "Never"];
const terminationMessagePolicies = ["File", "FallbackToLogsOnError"];
const mountPropagationModes = ["Bidirectional", "HostToContainer", "None"];
const tolerationEffects = ["NoExecute", "NoSchedule", "PreferNoSchedule"];

export const podUpdatableFieldsMessage =
  "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)";

function validateVolumes(
  spec: PodSpec,
  path: FieldPath,
  podName: string | undefined,
): { volumes: Map<string, VolumeSource>; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const volumes = new Map<string, VolumeSource>();
  const seen = new Set<string>();
  const created = new Set(
    podName ? (spec.volumes ?? []).filter((v) => v.ephemeral).map((v) => `${podName}-${v.name}`) : [],
  );
  (spec.volumes ?? []).forEach((volume, i) => {
    const volumePath = path.index(i);
    const errs = validateVolumeSource(volume, volumePath, volume.name, podName);
    errs.push(...validateVolumeName(volume.name, volumePath.child("name"), seen));
    if (errs.length === 0) {
      seen.add(volume.name);
      volumes.set(volume.name, volume);
    } else errors.push(...errs);
    if (volume.persistentVolumeClaim && created.has(volume.persistentVolumeClaim.claimName)) {
      errors.push(
        invalid(
          volumePath.child("persistentVolumeClaim", "claimName"),
          volume.persistentVolumeClaim.claimName,
          "must not reference a PVC that gets created for an ephemeral volume",
        ),
      );
    }
  });
  return { volumes, errors };
}

function validateVolumeMounts(container: Container, volumes: Map<string, VolumeSource>, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const devices = new Map((container.volumeDevices ?? []).map((d) => [d.name, d.devicePath]));
  const devicePaths = new Set(devices.values());
  const mountPoints = new Set<string>();
  (container.volumeMounts ?? []).forEach((mount, i) => {
    const mountPath = path.index(i);
    if (!mount.name) errs.push(required(mountPath.child("name")));
    if (!volumes.has(mount.name)) errs.push(notFound(mountPath.child("name"), mount.name));
    if (!mount.mountPath) errs.push(required(mountPath.child("mountPath")));
    if (mountPoints.has(mount.mountPath))
      errs.push(invalid(mountPath.child("mountPath"), mount.mountPath, "must be unique"));
    mountPoints.add(mount.mountPath);
    if (devices.has(mount.name))
      errs.push(invalid(mountPath.child("name"), mount.name, "must not already exist in volumeDevices"));
    if (devicePaths.has(mount.mountPath)) {
      errs.push(
        invalid(mountPath.child("mountPath"), mount.mountPath, "must not already exist as a path in volumeDevices"),
      );
    }
    // upstream reports subPath problems at the list's path (…volumeMounts.subPath), not the item's
    if (mount.subPath) errs.push(...validateLocalDescendingPath(mount.subPath, path.child("subPath")));
    if (mount.subPathExpr) {
      if (mount.subPath) {
        errs.push(
          invalid(mountPath.child("subPathExpr"), mount.subPathExpr, "subPathExpr and subPath are mutually exclusive"),
        );
      }
      errs.push(...validateLocalDescendingPath(mount.subPathExpr, path.child("subPathExpr")));
    }
    if (mount.mountPropagation !== undefined && !mountPropagationModes.includes(mount.mountPropagation)) {
      errs.push(notSupported(path.child("mountPropagation"), mount.mountPropagation, mountPropagationModes));
    }
  });
  return errs;
}

function validateVolumeDevices(
  container: Container,
  volumes: Map<string, VolumeSource>,
  path: FieldPath,
): FieldError[] {
  const errs: FieldError[] = [];
  const mounts = new Map((container.volumeMounts ?? []).map((m) => [m.name, m.mountPath]));
  const mountPaths = new Set(mounts.values());
  const names = new Set<string>();
  const paths = new Set<string>();
  (container.volumeDevices ?? []).forEach((device, i) => {
    const devicePath = path.index(i);
    const source = volumes.get(device.name);
    if (!device.name) errs.push(required(devicePath.child("name")));
    if (names.has(device.name)) errs.push(invalid(devicePath.child("name"), device.name, "must be unique"));
    if (source && !source.persistentVolumeClaim && !source.ephemeral) {
      errs.push(
        invalid(
          devicePath.child("name"),
          device.name,
          "can only use volume source type of PersistentVolumeClaim or Ephemeral for block mode",
        ),
      );
    }
    if (!source) errs.push(notFound(devicePath.child("name"), device.name));
    if (!device.devicePath) errs.push(required(devicePath.child("devicePath")));
    if (paths.has(device.devicePath))
      errs.push(invalid(devicePath.child("devicePath"), device.devicePath, "must be unique"));
    if (device.devicePath && device.devicePath.split("/").includes("..")) {
      errs.push(invalid(devicePath.child("devicePath"), device.devicePath, "can not contain backsteps ('..')"));
    } else paths.add(device.devicePath);
    if (mounts.has(device.name))
      errs.push(invalid(devicePath.child("name"), device.name, "must not already exist in volumeMounts"));
    if (mountPaths.has(device.devicePath)) {
      errs.push(
        invalid(devicePath.child("devicePath"), device.devicePath, "must not already exist as a path in volumeMounts"),
      );
    }
    if (device.name) names.add(device.name);
  });
  return errs;
}

function validateContainer(
  container: Container,
  volumes: Map<string, VolumeSource>,
  path: FieldPath,
  names: Set<string>,
): FieldError[] {
  const errs: FieldError[] = [];
  const namePath = path.child("name");
  if (!container.name) errs.push(required(namePath));
  else errs.push(...validateDNS1123Label(container.name, namePath));
  if (container.name && names.has(container.name)) errs.push(duplicate(namePath, container.name));
  names.add(container.name);
  if (!container.image) errs.push(required(path.child("image")));
  else if (container.image.trim() !== container.image) {
    errs.push(invalid(path.child("image"), container.image, "must not have leading or trailing whitespace"));
  }
  if (!container.terminationMessagePolicy) errs.push(required(path.child("terminationMessagePolicy")));
  else if (!terminationMessagePolicies.includes(container.terminationMessagePolicy)) {
    errs.push(
      notSupported(
        path.child("terminationMessagePolicy"),
        container.terminationMessagePolicy,
        terminationMessagePolicies,
      ),
    );
  }
  if (!container.imagePullPolicy) errs.push(required(path.child("imagePullPolicy")));
  else if (!pullPolicies.includes(container.imagePullPolicy)) {
    errs.push(notSupported(path.child("imagePullPolicy"), container.imagePullPolicy, pullPolicies));
  }
  (container.env ?? []).forEach((env, i) => {
    const envPath = path.child("env").index(i);
    if (!env.name) errs.push(required(envPath.child("name")));
    else if (env.name.includes("=") || !/^[\x20-\x7e]+$/.test(env.name)) {
      errs.push(
        invalid(
          envPath.child("name"),
          env.name,
          "a valid environment variable name must consist only of printable ASCII characters other than '='",
        ),
      );
    }
    if (env.valueFrom) {
      const sources = ["fieldRef", "resourceFieldRef", "configMapKeyRef", "secretKeyRef"].filter(
        (k) => (env.valueFrom as Record<string, unknown>)[k] !== undefined,
      );
      if (env.value) {
        errs.push(invalid(envPath.child("valueFrom"), "", "may not be specified when `value` is not empty"));
      }
      if (sources.length === 0) {
        errs.push(
          invalid(
            envPath.child("valueFrom"),
            "",
            "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`",
          ),
        );
      } else if (sources.length > 1) {
        errs.push(invalid(envPath.child("valueFrom"), "", "may not have more than one field specified at a time"));
      }
    }
  });
  for (const kind of ["limits", "requests"] as const) {
    for (const [name, value] of Object.entries(container.resources?.[kind] ?? {})) {
      parseQuantityField(value, path.child("resources", kind).key(name), errs);
    }
  }
  errs.push(...validateVolumeMounts(container, volumes, path.child("volumeMounts")));
  errs.push(...validateVolumeDevices(container, volumes, path.child("volumeDevices")));
  return errs;
}

function validateTolerations(tolerations: Toleration[] | undefined, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  (tolerations ?? []).forEach((toleration, i) => {
    const p = path.index(i);
    if (toleration.key) errs.push(...validateLabelName(toleration.key, p.child("key")));
    if (!toleration.key && toleration.operator !== "Exists") {
      errs.push(
        invalid(
          p.child("operator"),
          toleration.operator ?? "",
          'operator must be Exists when `key` is empty, which means "match all values and all keys"',
        ),
      );
    }
    if (toleration.tolerationSeconds !== undefined && toleration.effect !== "NoExecute") {
      errs.push(
        invalid(
          p.child("effect"),
          toleration.effect ?? "",
          "effect must be 'NoExecute' when `tolerationSeconds` is set",
        ),
      );
    }
    if (toleration.operator === "Exists" && toleration.value) {
      errs.push(invalid(p.child("operator"), toleration.value, "value must be empty when `operator` is 'Exists'"));
    } else if (toleration.operator && toleration.operator !== "Equal" && toleration.operator !== "Exists") {
      errs.push(notSupported(p.child("operator"), toleration.operator, ["Equal", "Exists"]));
    }
    if (toleration.effect && !tolerationEffects.includes(toleration.effect)) {
      errs.push(notSupported(p.child("effect"), toleration.effect, tolerationEffects));
    }
  });
  return errs;
}

/** upstream's ValidatePodSpec (storage-relevant subset, same paths and words). */
export function validatePodSpec(spec: PodSpec | undefined, path: FieldPath, podName?: string): FieldError[] {
  const s: PodSpec = spec ?? { containers: [] };
  const { volumes, errors } = validateVolumes(s, path.child("volumes"), podName);
  const errs = [...errors];
  const names = new Set<string>();
  (s.initContainers ?? []).forEach((c, i) =>
    errs.push(...validateContainer(c, volumes, path.child("initContainers").index(i), names)),
  );
  if (!s.containers?.length) errs.push(required(path.child("containers")));
  (s.containers ?? []).forEach((c, i) =>
    errs.push(...validateContainer(c, volumes, path.child("containers").index(i), names)),
  );
  const restartPath = path.child("restartPolicy");
  if (!s.restartPolicy) errs.push(required(restartPath));
  else if (!restartPolicies.includes(s.restartPolicy))
    errs.push(notSupported(restartPath, s.restartPolicy, restartPolicies));
  const dnsPath = path.child("dnsPolicy");
  if (!s.dnsPolicy) errs.push(required(dnsPath));
  else if (!dnsPolicies.includes(s.dnsPolicy)) errs.push(notSupported(dnsPath, s.dnsPolicy, dnsPolicies));
  errs.push(...validateLabels(s.nodeSelector, path.child("nodeSelector")));
  if (s.nodeName) {
    for (const msg of nameIsDNSSubdomain(s.nodeName, false))
      errs.push(invalid(path.child("nodeName"), s.nodeName, msg));
  }
  if (s.terminationGracePeriodSeconds !== undefined && s.terminationGracePeriodSeconds < 0) {
    errs.push(
      invalid(
        path.child("terminationGracePeriodSeconds"),
        s.terminationGracePeriodSeconds,
        "must be greater than or equal to 0",
      ),
    );
  }
  if (s.activeDeadlineSeconds !== undefined && s.activeDeadlineSeconds <= 0) {
    errs.push(
      invalid(
        path.child("activeDeadlineSeconds"),
        s.activeDeadlineSeconds,
        "must be between 1 and 2147483647, inclusive",
      ),
    );
  }
  const required_ = s.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (required_) {
    errs.push(
      ...validateNodeSelector(
        required_,
        path.child("affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution"),
      ),
    );
  }
  errs.push(...validateTolerations(s.tolerations, path.child("tolerations")));
  if (s.schedulerName !== undefined) {
    for (const msg of nameIsDNSSubdomain(s.schedulerName, false))
      errs.push(invalid(path.child("schedulerName"), s.schedulerName, msg));
  }
  return errs;
}

export function validatePod(pod: Pod): FieldError[] {
  return [
    ...validateObjectMeta(pod.metadata, true, nameIsDNSSubdomain),
    ...validatePodSpec(pod.spec, FieldPath.root("spec"), pod.metadata?.name),
  ];
}

/**
 * upstream's ValidatePodUpdate: only images, activeDeadlineSeconds, added tolerations and a negative grace period
 * set to 1 may change. (spec.nodeName is set through pods/binding, as upstream.)
 */
export function validatePodUpdate(pod: Pod, old: Pod): FieldError[] {
  const errs = [
    ...validateObjectMetaUpdate(pod.metadata, old.metadata),
    ...validatePodSpec(pod.spec, FieldPath.root("spec"), pod.metadata?.name),
  ];
  const munged = structuredClone(pod.spec);
  const oldSpec = old.spec;
  munged.containers = (munged.containers ?? []).map((c, i) => ({ ...c, image: oldSpec.containers?.[i]?.image }));
  if (munged.initContainers) {
    munged.initContainers = munged.initContainers.map((c, i) => ({ ...c, image: oldSpec.initContainers?.[i]?.image }));
  }
  munged.activeDeadlineSeconds = oldSpec.activeDeadlineSeconds;
  const oldTolerations = oldSpec.tolerations ?? [];
  const kept = oldTolerations.every((t) => (munged.tolerations ?? []).some((n) => deepEqual(n, t)));
  if (kept) munged.tolerations = oldSpec.tolerations;
  if ((oldSpec.terminationGracePeriodSeconds ?? 0) < 0 && munged.terminationGracePeriodSeconds === 1) {
    munged.terminationGracePeriodSeconds = oldSpec.terminationGracePeriodSeconds;
  }
  for (const key of Object.keys(munged) as (keyof PodSpec)[]) if (munged[key] === undefined) delete munged[key];
  if (!deepEqual(munged, oldSpec)) {
    errs.push(forbidden(FieldPath.root("spec"), `${podUpdatableFieldsMessage}\n${specDiff(oldSpec, munged)}`));
  }
  if (oldSpec.activeDeadlineSeconds !== undefined && pod.spec.activeDeadlineSeconds === undefined) {
    errs.push(
      invalid(
        FieldPath.root("spec", "activeDeadlineSeconds"),
        null,
        "must not update from a positive integer to nil value",
      ),
    );
  }
  return errs;
}

function specDiff(before: PodSpec, after: PodSpec): string {
  const lines = ["  core.PodSpec{"];
  const b = before as unknown as Record<string, unknown>;
  const a = after as unknown as Record<string, unknown>;
  for (const key of new Set([...Object.keys(b), ...Object.keys(a)])) {
    if (deepEqual(b[key], a[key])) continue;
    if (b[key] !== undefined) lines.push(`- \t${key}: ${JSON.stringify(b[key])},`);
    if (a[key] !== undefined) lines.push(`+ \t${key}: ${JSON.stringify(a[key])},`);
  }
  lines.push("  }");
  return lines.join("\n");
}
