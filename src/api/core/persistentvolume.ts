// core/v1 PersistentVolume: defaults, validation, table and field selectors as upstream
// (pkg/apis/core/v1/defaults.go, pkg/apis/core/validation, pkg/registry/core/persistentvolume).
import { FieldPath, forbidden, invalid, notSupported, required } from "../field.js";
import type { FieldError } from "../field.js";
import type { ResourceDefinition } from "../resource.js";
import { accessModesAsString, ageColumn, column, nameColumn, translateTimestampSince } from "../table.js";
import { deepEqual, validateImmutableField, validateObjectMeta, validateObjectMetaUpdate } from "../validation/meta.js";
import { nameIsDNSSubdomain } from "../validation/names.js";
import { volumeCapacity } from "../storagerules/capacity.js";
import { volumeClass } from "../storagerules/class.js";
import type { PersistentVolume, PersistentVolumeSpec } from "./types.js";
import {
  parseQuantityField,
  validateAccessModes,
  validateClassAndVolumeMode,
  validateCSIPersistentVolumeSource,
  validateHostPathVolumeSource,
  validateNFSVolumeSource,
  validatePositiveQuantity,
  validateVolumeAttributesClassName,
  validateVolumeNodeAffinity,
} from "./validate-volumes.js";
import { persistentVolumeSourceKeys } from "./volumes.js";
import { standardVerbs } from "../verbs.js";

const supportedReclaimPolicies = ["Delete", "Recycle", "Retain"];
const moreThanOne = "may not specify more than 1 volume type";

export function defaultPersistentVolume(volume: PersistentVolume): void {
  volume.spec ??= {};
  volume.status ??= {};
  if (!volume.status.phase) volume.status.phase = "Pending";
  if (!volume.spec.persistentVolumeReclaimPolicy) volume.spec.persistentVolumeReclaimPolicy = "Retain";
  if (volume.spec.volumeMode === undefined) volume.spec.volumeMode = "Filesystem";
  if (volume.spec.hostPath && volume.spec.hostPath.type === undefined) volume.spec.hostPath.type = "";
  if (volume.spec.iscsi && !volume.spec.iscsi.iscsiInterface) volume.spec.iscsi.iscsiInterface = "default";
}

/** upstream's ValidatePersistentVolumeSpec (not inline). */
export function validatePersistentVolumeSpec(spec: PersistentVolumeSpec | undefined, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const s = spec ?? {};
  if (!s.accessModes?.length) errs.push(required(path.child("accessModes")));
  errs.push(...validateAccessModes(s.accessModes, path.child("accessModes")));

  const capacity = s.capacity ?? {};
  const capacityPath = path.child("capacity");
  if (Object.keys(capacity).length === 0) errs.push(required(capacityPath));
  if (!("storage" in capacity) || Object.keys(capacity).length > 1)
    errs.push(notSupported(capacityPath, capacity, ["storage"]));
  for (const [name, text] of Object.entries(capacity)) {
    const q = parseQuantityField(text, capacityPath.key(name), errs);
    if (q) errs.push(...validatePositiveQuantity(q, capacityPath.key(name)));
  }

  if (s.persistentVolumeReclaimPolicy && !supportedReclaimPolicies.includes(s.persistentVolumeReclaimPolicy)) {
    errs.push(
      notSupported(
        path.child("persistentVolumeReclaimPolicy"),
        s.persistentVolumeReclaimPolicy,
        supportedReclaimPolicies,
      ),
    );
  }

  const affinity = validateVolumeNodeAffinity(s.nodeAffinity, path.child("nodeAffinity"));
  errs.push(...affinity.errors);

  let count = 0;
  for (const key of persistentVolumeSourceKeys) {
    if (s[key] === undefined) continue;
    if (count > 0) {
      errs.push(forbidden(path.child(key), moreThanOne));
      continue;
    }
    count++;
    switch (key) {
      case "hostPath":
        errs.push(...validateHostPathVolumeSource(s.hostPath!, path.child("hostPath")));
        break;
      case "nfs":
        errs.push(...validateNFSVolumeSource(s.nfs!, path.child("nfs")));
        break;
      case "local": {
        const local = s.local!;
        if (!local.path) errs.push(required(path.child("local", "path")));
        else if (local.path.split("/").includes("..")) {
          errs.push(invalid(path.child("local", "path"), local.path, "must not contain '..'"));
        }
        if (!affinity.specified) errs.push(required(path.child("nodeAffinity"), "Local volume requires node affinity"));
        break;
      }
      case "csi":
        errs.push(...validateCSIPersistentVolumeSource(s.csi!, path.child("csi")));
        break;
      case "iscsi":
        if (!s.iscsi!.targetPortal) errs.push(required(path.child("iscsi", "targetPortal")));
        if (!s.iscsi!.iqn) errs.push(required(path.child("iscsi", "iqn")));
        break;
      case "fc":
        if (!s.fc!.targetWWNs?.length && !s.fc!.wwids?.length) {
          errs.push(required(path.child("fc", "targetWWNs"), "must specify either targetWWNs or wwids, but not both"));
        }
        break;
    }
  }
  if (count === 0) errs.push(required(path, "must specify a volume type"));

  if (s.hostPath && normalizePath(s.hostPath.path ?? "") === "/" && s.persistentVolumeReclaimPolicy === "Recycle") {
    errs.push(
      forbidden(path.child("persistentVolumeReclaimPolicy"), "may not be 'recycle' for a hostPath mount of '/'"),
    );
  }
  errs.push(...validateClassAndVolumeMode(s, path));
  if (s.volumeAttributesClassName !== undefined) {
    errs.push(...validateVolumeAttributesClassName(s.volumeAttributesClassName, path));
    if (!s.csi) errs.push(required(path.child("csi"), "has to be specified when using volumeAttributesClassName"));
  }
  return errs;
}

/** path.Clean's answer to "is this the root?" for the hostPath-recycle rule. */
function normalizePath(p: string): string {
  const parts: string[] = [];
  for (const part of p.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return p.startsWith("/") ? `/${parts.join("/")}` : parts.join("/") || ".";
}

export function validatePersistentVolume(volume: PersistentVolume): FieldError[] {
  return [
    ...validateObjectMeta(volume.metadata, false, nameIsDNSSubdomain),
    ...validatePersistentVolumeSpec(volume.spec, FieldPath.root("spec")),
  ];
}

function sourceOf(spec: PersistentVolumeSpec | undefined): Record<string, unknown> {
  const source: Record<string, unknown> = {};
  for (const key of persistentVolumeSourceKeys) if (spec?.[key] !== undefined) source[key] = spec[key];
  return source;
}

/** upstream's ValidatePersistentVolumeUpdate: the volume source, volumeMode and a set nodeAffinity are immutable. */
export function validatePersistentVolumeUpdate(volume: PersistentVolume, old: PersistentVolume): FieldError[] {
  const errs = [...validateObjectMetaUpdate(volume.metadata, old.metadata), ...validatePersistentVolume(volume)];
  const next = sourceOf(volume.spec);
  const before = sourceOf(old.spec);
  // A CSI PV may gain a controllerExpandSecretRef it did not have (upstream allows exactly this change).
  const oldCsi = old.spec?.csi;
  const newCsi = volume.spec?.csi;
  if (oldCsi && newCsi && oldCsi.controllerExpandSecretRef === undefined && newCsi.controllerExpandSecretRef) {
    next.csi = { ...newCsi, controllerExpandSecretRef: undefined };
  }
  if (!deepEqual(next, before)) {
    errs.push(
      forbidden(
        FieldPath.root("spec", "persistentvolumesource"),
        `spec.persistentvolumesource is immutable after creation\n${describeDiff("core.PersistentVolumeSource", before, next)}`,
      ),
    );
  }
  // upstream reports these two at the unqualified paths "volumeMode" and "nodeAffinity".
  errs.push(...validateImmutableField(volume.spec?.volumeMode, old.spec?.volumeMode, "volumeMode"));
  if (old.spec?.nodeAffinity !== undefined) {
    errs.push(...validateImmutableField(volume.spec?.nodeAffinity, old.spec.nodeAffinity, "nodeAffinity"));
  }
  return errs;
}

/** A short, readable stand-in for upstream's cmp.Diff text after an "is immutable" message. */
export function describeDiff(
  typeName: string,
  before: Record<string, unknown>,
  after: Record<string, unknown>,
): string {
  const lines = [`  ${typeName}{`];
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  for (const key of keys) {
    if (deepEqual(before[key], after[key])) continue;
    if (before[key] !== undefined) lines.push(`- \t${key}: ${JSON.stringify(before[key])},`);
    if (after[key] !== undefined) lines.push(`+ \t${key}: ${JSON.stringify(after[key])},`);
  }
  lines.push("  }");
  return lines.join("\n");
}

export const persistentVolumes: ResourceDefinition<PersistentVolume> = {
  group: "",
  version: "v1",
  kind: "PersistentVolume",
  listKind: "PersistentVolumeList",
  plural: "persistentvolumes",
  singular: "persistentvolume",
  shortNames: ["pv"],
  namespaced: false,
  hasStatus: true,
  verbs: standardVerbs,
  applyDefaults: defaultPersistentVolume,
  prepareForCreate(volume, now = new Date()) {
    // upstream: status is server-owned; a new volume starts Pending with its transition time stamped.
    volume.status = { phase: "Pending", lastPhaseTransitionTime: rfc3339(now) };
  },
  prepareForUpdate(volume, old, subresource, now) {
    if (subresource !== "status") return;
    // upstream stamps lastPhaseTransitionTime whenever the phase changes, unless the writer set a new one
    volume.status ??= {};
    const before = old.status ?? {};
    if (volume.status.phase === before.phase) {
      if (!volume.status.lastPhaseTransitionTime && before.lastPhaseTransitionTime) {
        volume.status.lastPhaseTransitionTime = before.lastPhaseTransitionTime;
      }
    } else if (
      !volume.status.lastPhaseTransitionTime ||
      volume.status.lastPhaseTransitionTime === before.lastPhaseTransitionTime
    ) {
      volume.status.lastPhaseTransitionTime = rfc3339(now);
    }
  },
  validateCreate: validatePersistentVolume,
  validateUpdate: validatePersistentVolumeUpdate,
  validateStatusUpdate: (volume, old) => validateObjectMetaUpdate(volume.metadata, old.metadata),
  table: {
    columns: [
      nameColumn,
      column("Capacity", "string", "capacity is the description of the persistent volume's resources and capacity."),
      column("Access Modes", "string", "accessModes contains all ways the volume can be mounted."),
      column(
        "Reclaim Policy",
        "string",
        "persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim.",
      ),
      column("Status", "string", "phase indicates if a volume is available, bound to a claim, or released by a claim."),
      column(
        "Claim",
        "string",
        "claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim.",
      ),
      column("StorageClass", "string", "StorageClass of the pv"),
      column("VolumeAttributesClass", "string", "VolumeAttributesClass of the pv"),
      column(
        "Reason",
        "string",
        "reason is a brief CamelCase string that describes any failure and is meant for machine parsing and tidy display in the CLI.",
      ),
      ageColumn,
      column(
        "VolumeMode",
        "string",
        "volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state.",
        1,
      ),
    ],
    row(volume, now) {
      const claimRef = volume.spec?.claimRef;
      const claim = claimRef ? `${claimRef.namespace ?? ""}/${claimRef.name ?? ""}` : "";
      const phase = volume.metadata.deletionTimestamp ? "Terminating" : (volume.status?.phase ?? "");
      return [
        volume.metadata.name,
        volumeCapacity(volume).toString(),
        accessModesAsString(volume.spec?.accessModes),
        volume.spec?.persistentVolumeReclaimPolicy ?? "",
        phase,
        claim,
        volumeClass(volume),
        volume.spec?.volumeAttributesClassName ?? "<unset>",
        volume.status?.reason ?? "",
        translateTimestampSince(volume.metadata.creationTimestamp, now),
        volume.spec?.volumeMode ?? "<unset>",
      ];
    },
  },
  // upstream selects volumes by name only ("name" is a kept-for-compatibility alias of metadata.name).
  selectableFields: (volume) => ({ name: volume.metadata.name ?? "" }),
};

/** RFC 3339 at second precision, as metav1.Time serialises. */
export function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}
