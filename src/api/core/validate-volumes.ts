// Volume sources, node selectors and claim specs, validated as upstream's pkg/apis/core/validation does.
// Shared by PersistentVolume, PersistentVolumeClaim, Pod (spec.volumes) and StatefulSet claim templates; the
// sources only a pod has, and a pod's volume names, are in validate-volumesource.ts.
import { forbidden, invalid, notSupported, required, tooLong } from "../field.js";
import type { FieldError, FieldPath } from "../field.js";
import { Quantity, QuantityError } from "../quantity.js";
import { validateAnnotations, validateLabelName, validateLabelSelector, validateLabels } from "../validation/meta.js";
import { isDNS1123Label, isDNS1123Subdomain, nameIsDNSSubdomain } from "../validation/names.js";
import type { NodeSelector, NodeSelectorRequirement, VolumeNodeAffinity } from "./types.js";
import type {
  CSIPersistentVolumeSource,
  HostPathVolumeSource,
  NFSVolumeSource,
  PersistentVolumeClaimSpec,
  PersistentVolumeClaimTemplate,
  SecretReference,
  TypedObjectReference,
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

export function validatePathNoBacksteps(target: string, path: FieldPath): FieldError[] {
  return target.split("/").includes("..") ? [invalid(path, target, "must not contain '..'")] : [];
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

/** storageClassName and volumeMode, as PersistentVolume and PersistentVolumeClaim specs both check them. */
export function validateClassAndVolumeMode(
  spec: { storageClassName?: string; volumeMode?: string },
  path: FieldPath,
): FieldError[] {
  const errs: FieldError[] = [];
  if (spec.storageClassName) {
    for (const msg of nameIsDNSSubdomain(spec.storageClassName, false)) {
      errs.push(invalid(path.child("storageClassName"), spec.storageClassName, msg));
    }
  }
  if (spec.volumeMode !== undefined && !(supportedVolumeModes as readonly string[]).includes(spec.volumeMode)) {
    errs.push(notSupported(path.child("volumeMode"), spec.volumeMode, supportedVolumeModes));
  }
  return errs;
}

/** A volumeAttributesClassName, when given, names a VolumeAttributesClass: never empty. */
export function validateVolumeAttributesClassName(name: string | undefined, path: FieldPath): FieldError[] {
  if (name === undefined) return [];
  const field = path.child("volumeAttributesClassName");
  if (name === "") return [required(field, "an empty string is disallowed")];
  return nameIsDNSSubdomain(name, false).map((msg) => invalid(field, name, msg));
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
  errs.push(...validateClassAndVolumeMode(s, path));
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
  errs.push(...validateVolumeAttributesClassName(s.volumeAttributesClassName, path));
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
