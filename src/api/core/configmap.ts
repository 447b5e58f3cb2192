// core/v1 ConfigMap: validation and table as upstream (pkg/apis/core/validation ValidateConfigMap, printConfigMap).
import { Buffer } from "node:buffer";
import { FieldPath, forbidden, invalid, tooLong } from "../field.js";
import type { FieldError } from "../field.js";
import type { ResourceDefinition } from "../resource.js";
import { ageColumn, column, nameColumn, translateTimestampSince } from "../table.js";
import { deepEqual, validateObjectMeta, validateObjectMetaUpdate } from "../validation/meta.js";
import { isConfigMapKey, nameIsDNSSubdomain } from "../validation/names.js";
import { standardVerbs } from "../verbs.js";
import type { ConfigMap } from "./types.js";

/** upstream's MaxSecretSize, which also bounds ConfigMaps. */
export const maxSize = 1 * 1024 * 1024;
const immutableMessage = "field is immutable when `immutable` is set";

function validateConfigMap(configMap: ConfigMap): FieldError[] {
  const errs = validateObjectMeta(configMap.metadata, true, nameIsDNSSubdomain);
  let total = 0;
  for (const [key, value] of Object.entries(configMap.data ?? {})) {
    for (const msg of isConfigMapKey(key)) errs.push(invalid(FieldPath.root("data").key(key), key, msg));
    total += String(value).length;
  }
  for (const [key, value] of Object.entries(configMap.binaryData ?? {})) {
    for (const msg of isConfigMapKey(key)) errs.push(invalid(FieldPath.root("binaryData").key(key), key, msg));
    if (configMap.data && key in configMap.data) {
      errs.push(invalid(FieldPath.root("binaryData").key(key), key, "duplicate of key present in data"));
    }
    total += Buffer.from(String(value), "base64").length;
  }
  if (total > maxSize) errs.push(tooLong(FieldPath.root(""), maxSize));
  return errs;
}

export function validateImmutableData(
  next: { immutable?: boolean; data?: unknown; binaryData?: unknown },
  old: { immutable?: boolean; data?: unknown; binaryData?: unknown },
  dataKeys: ("data" | "binaryData")[],
): FieldError[] {
  if (!old.immutable) return [];
  const errs: FieldError[] = [];
  if (!next.immutable) errs.push(forbidden(FieldPath.root("immutable"), immutableMessage));
  for (const key of dataKeys) {
    if (!deepEqual(next[key] ?? {}, old[key] ?? {})) errs.push(forbidden(FieldPath.root(key), immutableMessage));
  }
  return errs;
}

export const configMaps: ResourceDefinition<ConfigMap> = {
  group: "",
  version: "v1",
  kind: "ConfigMap",
  listKind: "ConfigMapList",
  plural: "configmaps",
  singular: "configmap",
  shortNames: ["cm"],
  namespaced: true,
  hasStatus: false,
  verbs: standardVerbs,
  applyDefaults() {},
  validateCreate: validateConfigMap,
  validateUpdate: (configMap, old) => [
    ...validateObjectMetaUpdate(configMap.metadata, old.metadata),
    ...validateImmutableData(configMap, old, ["data", "binaryData"]),
    ...validateConfigMap(configMap),
  ],
  table: {
    columns: [nameColumn, column("Data", "string", "Data contains the configuration data."), ageColumn],
    row: (configMap, now) => [
      configMap.metadata.name,
      Object.keys(configMap.data ?? {}).length + Object.keys(configMap.binaryData ?? {}).length,
      translateTimestampSince(configMap.metadata.creationTimestamp, now),
    ],
  },
};
