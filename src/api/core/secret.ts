// core/v1 Secret: defaults (type Opaque, stringData folded into data), validation and table as upstream.
import { Buffer } from "node:buffer";
import { FieldPath, invalid, required, tooLong } from "../field.js";
import type { FieldError } from "../field.js";
import type { ResourceDefinition } from "../resource.js";
import { ageColumn, column, nameColumn, translateTimestampSince } from "../table.js";
import { validateImmutableField, validateObjectMeta, validateObjectMetaUpdate } from "../validation/meta.js";
import { isConfigMapKey, nameIsDNSSubdomain } from "../validation/names.js";
import { standardVerbs } from "../verbs.js";
import type { Secret } from "./types.js";
import { maxSize, validateImmutableData } from "./configmap.js";

function validateSecret(secret: Secret): FieldError[] {
  const errs = validateObjectMeta(secret.metadata, true, nameIsDNSSubdomain);
  const dataPath = FieldPath.root("data");
  let total = 0;
  for (const [key, value] of Object.entries(secret.data ?? {})) {
    for (const msg of isConfigMapKey(key)) errs.push(invalid(dataPath.key(key), key, msg));
    total += Buffer.from(String(value), "base64").length;
  }
  if (total > maxSize) errs.push(tooLong(dataPath, maxSize));
  const data = secret.data ?? {};
  switch (secret.type) {
    case "kubernetes.io/tls":
      if (!("tls.key" in data)) errs.push(required(dataPath.key("tls.key")));
      if (!("tls.crt" in data)) errs.push(required(dataPath.key("tls.crt")));
      break;
    case "kubernetes.io/ssh-auth":
      if (!("ssh-privatekey" in data)) errs.push(required(dataPath.key("ssh-privatekey")));
      break;
    case "kubernetes.io/basic-auth":
      if (!("username" in data) && !("password" in data)) {
        errs.push(required(dataPath.key("username")), required(dataPath.key("password")));
      }
      break;
  }
  return errs;
}

export const secrets: ResourceDefinition<Secret> = {
  group: "",
  version: "v1",
  kind: "Secret",
  listKind: "SecretList",
  plural: "secrets",
  singular: "secret",
  shortNames: [],
  namespaced: true,
  hasStatus: false,
  verbs: standardVerbs,
  applyDefaults(secret) {
    if (!secret.type) secret.type = "Opaque";
    // upstream's conversion: stringData is write-only, merged (base64) into data and never stored
    if (secret.stringData) {
      secret.data ??= {};
      for (const [key, value] of Object.entries(secret.stringData)) {
        secret.data[key] = Buffer.from(String(value), "utf8").toString("base64");
      }
      delete secret.stringData;
    }
  },
  validateCreate: validateSecret,
  validateUpdate: (secret, old) => [
    ...validateObjectMetaUpdate(secret.metadata, old.metadata),
    ...validateImmutableField(secret.type, old.type, FieldPath.root("type")),
    ...validateImmutableData(secret, old, ["data"]),
    ...validateSecret(secret),
  ],
  table: {
    columns: [
      nameColumn,
      column("Type", "string", "Used to facilitate programmatic handling of secret data."),
      column("Data", "string", "Data contains the secret data."),
      ageColumn,
    ],
    row: (secret, now) => [
      secret.metadata.name,
      secret.type ?? "",
      Object.keys(secret.data ?? {}).length,
      translateTimestampSince(secret.metadata.creationTimestamp, now),
    ],
  },
  selectableFields: (secret) => ({ type: secret.type ?? "" }),
};
