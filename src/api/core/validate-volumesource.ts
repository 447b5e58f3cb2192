// A pod's spec.volumes, validated as upstream's pkg/apis/core/validation does: a volume's name, and its one
// volume source (emptyDir, secret, configMap, downwardAPI, projected, ephemeral, …). The sources a
// PersistentVolume shares (hostPath, nfs, csi driver names) and claim templates are in validate-volumes.ts.
import { duplicate, forbidden, invalid, required } from "../field.js";
import type { FieldError, FieldPath } from "../field.js";
import { isDNS1123Label, nameIsDNSSubdomain } from "../validation/names.js";
import {
  parseQuantityField,
  validateCSIDriverName,
  validateHostPathVolumeSource,
  validateNFSVolumeSource,
  validatePathNoBacksteps,
  validatePersistentVolumeClaimTemplate,
} from "./validate-volumes.js";
import type {
  ConfigMapVolumeSource,
  CSIVolumeSource,
  DownwardAPIVolumeSource,
  EmptyDirVolumeSource,
  KeyToPath,
  ProjectedVolumeSource,
  SecretVolumeSource,
  VolumeSource,
} from "./volumes.js";

const fileModeErrorMsg = "must be a number between 0 and 0777 (octal), both inclusive";
const moreThanOne = "may not specify more than 1 volume type";

export function validateDNS1123Label(value: string, path: FieldPath): FieldError[] {
  return isDNS1123Label(value).map((msg) => invalid(path, value, msg));
}

/** Volume names in a pod must be unique DNS labels; exported for the pod validator. */
export function validateVolumeName(name: string | undefined, path: FieldPath, seen: Set<string>): FieldError[] {
  const errs: FieldError[] = [];
  if (!name) errs.push(required(path));
  else errs.push(...validateDNS1123Label(name, path));
  if (name !== undefined && seen.has(name)) errs.push(duplicate(path, name));
  return errs;
}

/** upstream's validateLocalDescendingPath (subPath, subPathExpr, gitRepo directory). */
export function validateLocalDescendingPath(target: string, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (target.startsWith("/")) errs.push(invalid(path, target, "must be a relative path"));
  errs.push(...validatePathNoBacksteps(target, path));
  return errs;
}

function validateLocalNonReservedPath(target: string, path: FieldPath): FieldError[] {
  const errs = validateLocalDescendingPath(target, path);
  if (target.startsWith("..") && !target.startsWith("../"))
    errs.push(invalid(path, target, "must not start with '..'"));
  return errs;
}

function validateFileMode(mode: number | undefined, path: FieldPath): FieldError[] {
  if (mode === undefined) return [];
  return mode > 0o777 || mode < 0 ? [invalid(path, mode, fileModeErrorMsg)] : [];
}

function validateKeyToPath(item: KeyToPath, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (!item.key) errs.push(required(path.child("key")));
  if (!item.path) errs.push(required(path.child("path")));
  errs.push(...validateLocalNonReservedPath(item.path ?? "", path.child("path")));
  errs.push(...validateFileMode(item.mode, path.child("mode")));
  return errs;
}

/** The volume being validated: an ephemeral volume's claim is named after the pod and the volume. */
interface VolumeNames {
  volumeName: string;
  podName: string | undefined;
}

/**
 * One check per source, in upstream's order (which decides who is "more than 1"); `forbiddenKey` is the field a
 * second source is reported on ("downwarAPI" is upstream's spelling in that one message).
 */
const volumeSourceChecks: {
  key: keyof VolumeSource;
  check: (source: VolumeSource, path: FieldPath, names: VolumeNames) => FieldError[];
  forbiddenKey?: string;
}[] = [
  { key: "emptyDir", check: (s, p) => validateEmptyDir(s.emptyDir!, p.child("emptyDir")) },
  { key: "hostPath", check: (s, p) => validateHostPathVolumeSource(s.hostPath!, p.child("hostPath")) },
  {
    key: "secret",
    check: (s, p) => validateKeysToPaths(s.secret!, ["secretName", s.secret!.secretName], p.child("secret")),
  },
  { key: "nfs", check: (s, p) => validateNFSVolumeSource(s.nfs!, p.child("nfs")) },
  {
    key: "iscsi",
    check: (s, p) => [
      ...(s.iscsi!.targetPortal ? [] : [required(p.child("iscsi", "targetPortal"))]),
      ...(s.iscsi!.iqn ? [] : [required(p.child("iscsi", "iqn"))]),
    ],
  },
  {
    key: "persistentVolumeClaim",
    check: (s, p) =>
      s.persistentVolumeClaim!.claimName ? [] : [required(p.child("persistentVolumeClaim", "claimName"))],
  },
  {
    key: "downwardAPI",
    check: (s, p) => validateDownwardAPIVolumeSource(s.downwardAPI!, p.child("downwardAPI")),
    forbiddenKey: "downwarAPI",
  },
  {
    key: "fc",
    check: (s, p) =>
      (s.fc!.targetWWNs?.length ?? 0) < 1 && (s.fc!.wwids?.length ?? 0) < 1
        ? [required(p.child("fc", "targetWWNs"), "must specify either targetWWNs or wwids, but not both")]
        : [],
  },
  {
    key: "configMap",
    check: (s, p) => validateKeysToPaths(s.configMap!, ["name", s.configMap!.name], p.child("configMap")),
  },
  { key: "projected", check: (s, p) => validateProjectedVolumeSource(s.projected!, p.child("projected")) },
  { key: "csi", check: (s, p) => validateCSIVolumeSource(s.csi!, p.child("csi")) },
  { key: "ephemeral", check: validateEphemeralVolumeSource },
];

/** upstream's validateVolumeSource: exactly one source, each checked by its own rules. */
export function validateVolumeSource(
  source: VolumeSource,
  path: FieldPath,
  volumeName: string,
  podName: string | undefined,
): FieldError[] {
  const errs: FieldError[] = [];
  let count = 0;
  for (const { key, check, forbiddenKey = key } of volumeSourceChecks) {
    if (!source[key]) continue;
    if (count > 0) {
      errs.push(forbidden(path.child(forbiddenKey), moreThanOne));
      continue;
    }
    count++;
    errs.push(...check(source, path, { volumeName, podName }));
  }
  if (count === 0) errs.push(required(path, "must specify a volume type"));
  return errs;
}

function validateEmptyDir(emptyDir: EmptyDirVolumeSource, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (emptyDir.sizeLimit === undefined) return errs;
  const q = parseQuantityField(emptyDir.sizeLimit, path.child("sizeLimit"), errs);
  if (q && q.sign() < 0) {
    errs.push(forbidden(path.child("sizeLimit"), "SizeLimit field must be a valid resource quantity"));
  }
  return errs;
}

/**
 * A secret or configMap volume: the object it names (a secret's is "secretName", a configMap's "name"), the
 * files' default mode, and the keys it projects to paths.
 */
function validateKeysToPaths(
  source: SecretVolumeSource | ConfigMapVolumeSource,
  [nameField, name]: [string, string | undefined],
  path: FieldPath,
): FieldError[] {
  const errs: FieldError[] = [];
  if (!name) errs.push(required(path.child(nameField)));
  errs.push(...validateFileMode(source.defaultMode, path.child("defaultMode")));
  (source.items ?? []).forEach((item, i) => errs.push(...validateKeyToPath(item, path.child("items").index(i))));
  return errs;
}

function validateDownwardAPIVolumeSource(downwardAPI: DownwardAPIVolumeSource, path: FieldPath): FieldError[] {
  const errs = validateFileMode(downwardAPI.defaultMode, path.child("defaultMode"));
  (downwardAPI.items ?? []).forEach((item, i) => {
    const itemPath = path.child("items").index(i);
    if (!item.path) errs.push(required(itemPath.child("path")));
    errs.push(...validateLocalNonReservedPath(item.path ?? "", itemPath.child("path")));
    errs.push(...validateFileMode(item.mode, itemPath.child("mode")));
    if (item.fieldRef && item.resourceFieldRef) {
      errs.push(invalid(itemPath, "resource", "fieldRef and resourceFieldRef can not be specified simultaneously"));
    } else if (!item.fieldRef && !item.resourceFieldRef) {
      errs.push(required(itemPath, "one of fieldRef and resourceFieldRef is required"));
    }
  });
  return errs;
}

function validateProjectedVolumeSource(projected: ProjectedVolumeSource, path: FieldPath): FieldError[] {
  const errs = validateFileMode(projected.defaultMode, path.child("defaultMode"));
  (projected.sources ?? []).forEach((projection, i) => {
    const sourcePath = path.child("sources").index(i);
    const kinds = (["secret", "configMap", "downwardAPI", "serviceAccountToken", "clusterTrustBundle"] as const).filter(
      (k) => projection[k] !== undefined,
    );
    if (kinds.length > 1) errs.push(forbidden(sourcePath, "may not specify more than 1 volume type per source"));
    if (projection.serviceAccountToken) {
      const tokenPath = sourcePath.child("serviceAccountToken");
      const seconds = projection.serviceAccountToken.expirationSeconds;
      if (seconds !== undefined && seconds < 600) {
        errs.push(
          invalid(tokenPath.child("expirationSeconds"), seconds, "may not specify a duration less than 10 minutes"),
        );
      }
      if (seconds !== undefined && seconds > 2 ** 32) {
        errs.push(
          invalid(tokenPath.child("expirationSeconds"), seconds, "may not specify a duration larger than 2^32 seconds"),
        );
      }
      if (!projection.serviceAccountToken.path) errs.push(required(tokenPath.child("path")));
    }
  });
  return errs;
}

function validateCSIVolumeSource(csi: CSIVolumeSource, path: FieldPath): FieldError[] {
  const errs = validateCSIDriverName(csi.driver, path.child("driver"));
  if (csi.nodePublishSecretRef) {
    const name = csi.nodePublishSecretRef.name;
    if (!name) errs.push(required(path.child("nodePublishSecretRef", "name")));
    else for (const msg of nameIsDNSSubdomain(name, false)) errs.push(invalid(path.child("name"), name, msg));
  }
  return errs;
}

/** An ephemeral volume's claim template, and the claim name `<pod>-<volume>` it will get. */
function validateEphemeralVolumeSource(source: VolumeSource, path: FieldPath, names: VolumeNames): FieldError[] {
  const errs: FieldError[] = [];
  const templatePath = path.child("ephemeral", "volumeClaimTemplate");
  const template = source.ephemeral!.volumeClaimTemplate;
  if (!template) errs.push(required(templatePath));
  else errs.push(...validatePersistentVolumeClaimTemplate(template, templatePath));
  const { podName, volumeName } = names;
  if (podName && volumeName) {
    const claimName = `${podName}-${volumeName}`;
    for (const msg of nameIsDNSSubdomain(claimName, false)) {
      errs.push(invalid(path.child("name"), volumeName, `PVC name ${JSON.stringify(claimName)}: ${msg}`));
    }
  }
  return errs;
}
