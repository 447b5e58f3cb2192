// Volume sources, node selectors and claim specs, validated as upstream's pkg/apis/core/validation does.
// Shared by PersistentVolume, PersistentVolumeClaim, Pod (spec.volumes) and StatefulSet claim templates.
import { duplicate, forbidden, invalid, notSupported, required, tooLong } from "../field.js";
import type { FieldError, FieldPath } from "../field.js";
import { Quantity, QuantityError } from "../quantity.js";
import { validateAnnotations, validateLabelName, validateLabelSelector, validateLabels } from "../validation/meta.js";
import { isDNS1123Label, isDNS1123Subdomain, nameIsDNSSubdomain } from "../validation/names.js";
import type { NodeSelector, NodeSelectorRequirement, VolumeNodeAffinity } from "./types.js";
import type {
  CSIPersistentVolumeSource,
  CSIVolumeSource,
  HostPathVolumeSource,
  KeyToPath,
  NFSVolumeSource,
  PersistentVolumeClaimSpec,
  PersistentVolumeClaimTemplate,
  SecretReference,
  TypedObjectReference,
  VolumeSource,
} from "./volumes.js";

export const supportedAccessModes = ["ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"] as const;
export const supportedVolumeModes = ["Block", "Filesystem"] as const;
const supportedHostPathTypes = [
  "",
  "BlockDevice",
  "CharDevice",
  "Directory",
  "DirectoryOrCreate",
  "File",
  "FileOrCreate",
  "Socket",
];
const fileModeErrorMsg = "must be a number between 0 and 0777 (octal), both inclusive";
const moreThanOne = "may not specify more than 1 volume type";

/** Parses a quantity field; a bad one becomes upstream's decode message as a FieldError. */
export function parseQuantityField(text: unknown, path: FieldPath, errs: FieldError[]): Quantity | undefined {
  if (typeof text === "number") text = String(text);
  if (typeof text !== "string") {
    errs.push(invalid(path, text, "must be a quantity string"));
    return undefined;
  }
  try {
    return Quantity.parse(text, String(path));
  } catch (err) {
    if (err instanceof QuantityError) {
      errs.push(err.fieldError);
      return undefined;
    }
    throw err;
  }
}

/** upstream's ValidatePositiveQuantityValue: "must be greater than zero". */
export function validatePositiveQuantity(quantity: Quantity, path: FieldPath): FieldError[] {
  return quantity.sign() <= 0 ? [invalid(path, quantity.toString(), "must be greater than zero")] : [];
}

/** upstream's ValidateNonnegativeQuantity. */
export function validateNonnegativeQuantity(quantity: Quantity, path: FieldPath): FieldError[] {
  return quantity.sign() < 0 ? [invalid(path, quantity.toString(), "must be greater than or equal to 0")] : [];
}

export function validateDNS1123Label(value: string, path: FieldPath): FieldError[] {
  return isDNS1123Label(value).map((msg) => invalid(path, value, msg));
}

function validatePathNoBacksteps(target: string, path: FieldPath): FieldError[] {
  return target.split("/").includes("..") ? [invalid(path, target, "must not contain '..'")] : [];
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

export function validateHostPathVolumeSource(source: HostPathVolumeSource, path: FieldPath): FieldError[] {
  if (!source.path) return [required(path.child("path"))];
  const errs = validatePathNoBacksteps(source.path, path.child("path"));
  if (source.type !== undefined && !supportedHostPathTypes.includes(source.type)) {
    errs.push(notSupported(path.child("type"), source.type, supportedHostPathTypes));
  }
  return errs;
}

export function validateNFSVolumeSource(source: NFSVolumeSource, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (!source.server) errs.push(required(path.child("server")));
  if (!source.path) errs.push(required(path.child("path")));
  if (!(source.path ?? "").startsWith("/"))
    errs.push(invalid(path.child("path"), source.path ?? "", "must be an absolute path"));
  return errs;
}

/** upstream's ValidateCSIDriverName: an empty name is both Required and not a subdomain, as upstream reports. */
export function validateCSIDriverName(name: string | undefined, path: FieldPath): FieldError[] {
  const driver = name ?? "";
  const errs: FieldError[] = [];
  if (driver.length === 0) errs.push(required(path));
  if (driver.length > 63) errs.push(tooLong(path, 63));
  for (const msg of isDNS1123Subdomain(driver.toLowerCase())) errs.push(invalid(path, driver, msg));
  return errs;
}

function validatePVSecretReference(ref: SecretReference, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (!ref.name) errs.push(required(path.child("name")));
  else for (const msg of nameIsDNSSubdomain(ref.name, false)) errs.push(invalid(path.child("name"), ref.name, msg));
  if (!ref.namespace) errs.push(required(path.child("namespace")));
  else for (const msg of isDNS1123Label(ref.namespace)) errs.push(invalid(path.child("namespace"), ref.namespace, msg));
  return errs;
}

export function validateCSIPersistentVolumeSource(csi: CSIPersistentVolumeSource, path: FieldPath): FieldError[] {
  const errs = validateCSIDriverName(csi.driver, path.child("driver"));
  if (!csi.volumeHandle) errs.push(required(path.child("volumeHandle")));
  for (const key of [
    "controllerPublishSecretRef",
    "nodeStageSecretRef",
    "controllerExpandSecretRef",
    "nodePublishSecretRef",
    "nodeExpandSecretRef",
  ] as const) {
    const ref = csi[key];
    if (ref) errs.push(...validatePVSecretReference(ref, path.child(key)));
  }
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

/** upstream's validateVolumeSource: exactly one source, in upstream's order (which decides who is "more than 1"). */
export function validateVolumeSource(
  source: VolumeSource,
  path: FieldPath,
  volumeName: string,
  podName: string | undefined,
): FieldError[] {
  const errs: FieldError[] = [];
  let count = 0;
  const one = (key: string, check: () => FieldError[], forbiddenKey = key): void => {
    if (count > 0) errs.push(forbidden(path.child(forbiddenKey), moreThanOne));
    else {
      count++;
      errs.push(...check());
    }
  };
  if (source.emptyDir) {
    count++;
    const limit = source.emptyDir.sizeLimit;
    if (limit !== undefined) {
      const q = parseQuantityField(limit, path.child("emptyDir", "sizeLimit"), errs);
      if (q && q.sign() < 0) {
        errs.push(forbidden(path.child("emptyDir", "sizeLimit"), "SizeLimit field must be a valid resource quantity"));
      }
    }
  }
  if (source.hostPath) one("hostPath", () => validateHostPathVolumeSource(source.hostPath!, path.child("hostPath")));
  if (source.secret) {
    one("secret", () => {
      const secret = source.secret!;
      const e: FieldError[] = [];
      if (!secret.secretName) e.push(required(path.child("secret", "secretName")));
      e.push(...validateFileMode(secret.defaultMode, path.child("secret", "defaultMode")));
      (secret.items ?? []).forEach((item, i) =>
        e.push(...validateKeyToPath(item, path.child("secret", "items").index(i))),
      );
      return e;
    });
  }
  if (source.nfs) one("nfs", () => validateNFSVolumeSource(source.nfs!, path.child("nfs")));
  if (source.iscsi) {
    one("iscsi", () => {
      const e: FieldError[] = [];
      if (!source.iscsi!.targetPortal) e.push(required(path.child("iscsi", "targetPortal")));
      if (!source.iscsi!.iqn) e.push(required(path.child("iscsi", "iqn")));
      return e;
    });
  }
  if (source.persistentVolumeClaim) {
    one("persistentVolumeClaim", () =>
      source.persistentVolumeClaim!.claimName ? [] : [required(path.child("persistentVolumeClaim", "claimName"))],
    );
  }
  if (source.downwardAPI) {
    // "downwarAPI" is upstream's spelling in this one message.
    one(
      "downwardAPI",
      () => {
        const e = validateFileMode(source.downwardAPI!.defaultMode, path.child("downwardAPI", "defaultMode"));
        (source.downwardAPI!.items ?? []).forEach((item, i) => {
          const itemPath = path.child("downwardAPI", "items").index(i);
          if (!item.path) e.push(required(itemPath.child("path")));
          e.push(...validateLocalNonReservedPath(item.path ?? "", itemPath.child("path")));
          e.push(...validateFileMode(item.mode, itemPath.child("mode")));
          if (item.fieldRef && item.resourceFieldRef) {
            e.push(invalid(itemPath, "resource", "fieldRef and resourceFieldRef can not be specified simultaneously"));
          } else if (!item.fieldRef && !item.resourceFieldRef) {
            e.push(required(itemPath, "one of fieldRef and resourceFieldRef is required"));
          }
        });
        return e;
      },
      "downwarAPI",
    );
  }
  if (source.fc) {
    one("fc", () =>
      (source.fc!.targetWWNs?.length ?? 0) < 1 && (source.fc!.wwids?.length ?? 0) < 1
        ? [required(path.child("fc", "targetWWNs"), "must specify either targetWWNs or wwids, but not both")]
        : [],
    );
  }
  if (source.configMap) {
    one("configMap", () => {
      const cm = source.configMap!;
      const e: FieldError[] = [];
      if (!cm.name) e.push(required(path.child("configMap", "name")));
      e.push(...validateFileMode(cm.defaultMode, path.child("configMap", "defaultMode")));
      (cm.items ?? []).forEach((item, i) =>
        e.push(...validateKeyToPath(item, path.child("configMap", "items").index(i))),
      );
      return e;
    });
  }
  if (source.projected) {
    one("projected", () => {
      const e = validateFileMode(source.projected!.defaultMode, path.child("projected", "defaultMode"));
      (source.projected!.sources ?? []).forEach((projection, i) => {
        const sourcePath = path.child("projected", "sources").index(i);
        const kinds = (
          ["secret", "configMap", "downwardAPI", "serviceAccountToken", "clusterTrustBundle"] as const
        ).filter((k) => projection[k] !== undefined);
        if (kinds.length > 1) e.push(forbidden(sourcePath, "may not specify more than 1 volume type per source"));
        if (projection.serviceAccountToken) {
          const tokenPath = sourcePath.child("serviceAccountToken");
          const seconds = projection.serviceAccountToken.expirationSeconds;
          if (seconds !== undefined && seconds < 600) {
            e.push(
              invalid(tokenPath.child("expirationSeconds"), seconds, "may not specify a duration less than 10 minutes"),
            );
          }
          if (!projection.serviceAccountToken.path) e.push(required(tokenPath.child("path")));
        }
      });
      return e;
    });
  }
  if (source.csi) one("csi", () => validateCSIVolumeSource(source.csi!, path.child("csi")));
  if (source.ephemeral) {
    one("ephemeral", () => {
      const e: FieldError[] = [];
      const template = source.ephemeral!.volumeClaimTemplate;
      if (!template) e.push(required(path.child("ephemeral", "volumeClaimTemplate")));
      else e.push(...validatePersistentVolumeClaimTemplate(template, path.child("ephemeral", "volumeClaimTemplate")));
      if (podName && volumeName) {
        const claimName = `${podName}-${volumeName}`;
        for (const msg of nameIsDNSSubdomain(claimName, false)) {
          e.push(invalid(path.child("name"), volumeName, `PVC name ${JSON.stringify(claimName)}: ${msg}`));
        }
      }
      return e;
    });
  }
  if (count === 0) errs.push(required(path, "must specify a volume type"));
  return errs;
}

function validateNodeSelectorRequirement(req: NodeSelectorRequirement, path: FieldPath, fields: boolean): FieldError[] {
  const errs: FieldError[] = [];
  switch (req.operator) {
    case "In":
    case "NotIn":
      if (!req.values?.length) {
        errs.push(required(path.child("values"), "must be specified when `operator` is 'In' or 'NotIn'"));
      }
      break;
    case "Exists":
    case "DoesNotExist":
      if (req.values?.length) {
        errs.push(
          forbidden(path.child("values"), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"),
        );
      }
      break;
    case "Gt":
    case "Lt":
      if (req.values?.length !== 1) {
        errs.push(required(path.child("values"), "must be specified single value when `operator` is 'Lt' or 'Gt'"));
      }
      break;
    default:
      errs.push(invalid(path.child("operator"), req.operator, "not a valid selector operator"));
  }
  if (fields) {
    if (req.key !== "metadata.name") errs.push(invalid(path.child("key"), req.key, "not a valid field selector key"));
  } else errs.push(...validateLabelName(req.key, path.child("key")));
  return errs;
}

/** upstream's ValidateNodeSelector (PV node affinity, pod required node affinity). */
export function validateNodeSelector(selector: NodeSelector, path: FieldPath): FieldError[] {
  const termsPath = path.child("nodeSelectorTerms");
  if (!selector.nodeSelectorTerms?.length) return [required(termsPath, "must have at least one node selector term")];
  const errs: FieldError[] = [];
  selector.nodeSelectorTerms.forEach((term, i) => {
    const termPath = termsPath.index(i);
    (term.matchExpressions ?? []).forEach((req, j) =>
      errs.push(...validateNodeSelectorRequirement(req, termPath.child("matchExpressions").index(j), false)),
    );
    (term.matchFields ?? []).forEach((req, j) =>
      errs.push(...validateNodeSelectorRequirement(req, termPath.child("matchFields").index(j), true)),
    );
  });
  return errs;
}

/** upstream's validateVolumeNodeAffinity: returns whether affinity was given, and its problems. */
export function validateVolumeNodeAffinity(
  affinity: VolumeNodeAffinity | undefined,
  path: FieldPath,
): { specified: boolean; errors: FieldError[] } {
  if (!affinity) return { specified: false, errors: [] };
  if (!affinity.required) {
    return { specified: true, errors: [required(path.child("required"), "must specify required node constraints")] };
  }
  return { specified: true, errors: validateNodeSelector(affinity.required, path.child("required")) };
}

/** upstream's access-mode rules shared by PV and PVC specs. */
export function validateAccessModes(modes: readonly string[] | undefined, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  let rwop = false;
  let other = false;
  for (const mode of modes ?? []) {
    if (!(supportedAccessModes as readonly string[]).includes(mode)) {
      errs.push(notSupported(path, mode, supportedAccessModes));
    }
    if (mode === "ReadWriteOncePod") rwop = true;
    else if ((supportedAccessModes as readonly string[]).includes(mode)) other = true;
  }
  if (rwop && other) errs.push(forbidden(path, "may not use ReadWriteOncePod with other access modes"));
  return errs;
}

function validateDataSource(ref: TypedObjectReference, path: FieldPath, isRef: boolean): FieldError[] {
  const errs: FieldError[] = [];
  if (!ref.name) errs.push(required(path.child("name")));
  if (!ref.kind) errs.push(required(path.child("kind")));
  if (!ref.apiGroup && ref.kind !== "PersistentVolumeClaim") errs.push(invalid(path, ref.kind ?? "", ""));
  if (!isRef && ref.namespace) errs.push(forbidden(path.child("namespace"), "not allowed in dataSource"));
  if (isRef && ref.namespace) {
    for (const msg of isDNS1123Label(ref.namespace)) errs.push(invalid(path.child("namespace"), ref.namespace, msg));
  }
  return errs;
}

/** upstream's ValidatePersistentVolumeClaimSpec. Requests are read from `resources.requests`. */
export function validatePersistentVolumeClaimSpec(
  spec: PersistentVolumeClaimSpec | undefined,
  path: FieldPath,
): FieldError[] {
  const errs: FieldError[] = [];
  const s = spec ?? {};
  if (!s.accessModes?.length) errs.push(required(path.child("accessModes"), "at least 1 access mode is required"));
  if (s.selector) errs.push(...validateLabelSelector(s.selector, path.child("selector")));
  errs.push(...validateAccessModes(s.accessModes, path.child("accessModes")));
  // upstream's path here is spec.resources[storage] (not .requests[storage]); users search for that text.
  const storagePath = path.child("resources").key("storage");
  const storage = s.resources?.requests?.storage;
  if (storage === undefined) errs.push(required(storagePath));
  else {
    const q = parseQuantityField(storage, storagePath, errs);
    if (q) errs.push(...validatePositiveQuantity(q, storagePath));
  }
  for (const [name, value] of Object.entries(s.resources?.limits ?? {})) {
    parseQuantityField(value, path.child("resources", "limits").key(name), errs);
  }
  if (s.storageClassName) {
    for (const msg of nameIsDNSSubdomain(s.storageClassName, false)) {
      errs.push(invalid(path.child("storageClassName"), s.storageClassName, msg));
    }
  }
  if (s.volumeMode !== undefined && !(supportedVolumeModes as readonly string[]).includes(s.volumeMode)) {
    errs.push(notSupported(path.child("volumeMode"), s.volumeMode, supportedVolumeModes));
  }
  if (s.dataSource) errs.push(...validateDataSource(s.dataSource, path.child("dataSource"), false));
  if (s.dataSourceRef) errs.push(...validateDataSource(s.dataSourceRef, path.child("dataSourceRef"), true));
  if (s.dataSourceRef?.namespace) {
    if (s.dataSource) {
      errs.push(
        invalid(
          path,
          String(path.child("dataSource")),
          "may not be specified when dataSourceRef.namespace is specified",
        ),
      );
    }
  } else if (s.dataSource && s.dataSourceRef) {
    const a = s.dataSource;
    const b = s.dataSourceRef;
    if (a.apiGroup !== b.apiGroup || a.kind !== b.kind || a.name !== b.name) {
      errs.push(invalid(path, String(path.child("dataSource")), "must match dataSourceRef"));
    }
  }
  if (s.volumeAttributesClassName !== undefined) {
    if (s.volumeAttributesClassName === "") {
      errs.push(required(path.child("volumeAttributesClassName"), "an empty string is disallowed"));
    } else {
      for (const msg of nameIsDNSSubdomain(s.volumeAttributesClassName, false)) {
        errs.push(invalid(path.child("volumeAttributesClassName"), s.volumeAttributesClassName, msg));
      }
    }
  }
  return errs;
}

/** upstream's ValidatePersistentVolumeClaimTemplate (ephemeral volumes): only labels and annotations in metadata. */
export function validatePersistentVolumeClaimTemplate(
  template: PersistentVolumeClaimTemplate,
  path: FieldPath,
): FieldError[] {
  const metaPath = path.child("metadata");
  const errs = validateAnnotations(template.metadata?.annotations, metaPath.child("annotations"));
  errs.push(...validateLabels(template.metadata?.labels, metaPath.child("labels")));
  for (const key of Object.keys(template.metadata ?? {})) {
    if (key !== "labels" && key !== "annotations") {
      errs.push(forbidden(metaPath.child(key), "cannot be set for an ephemeral volume"));
    }
  }
  errs.push(...validatePersistentVolumeClaimSpec(template.spec, path.child("spec")));
  return errs;
}

/** Volume names in a pod must be unique DNS labels; exported for the pod validator. */
export function validateVolumeName(name: string | undefined, path: FieldPath, seen: Set<string>): FieldError[] {
  const errs: FieldError[] = [];
  if (!name) errs.push(required(path));
  else errs.push(...validateDNS1123Label(name, path));
  if (name !== undefined && seen.has(name)) errs.push(duplicate(path, name));
  return errs;
}
