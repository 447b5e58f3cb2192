// --encryption-provider-config: upstream's EncryptionConfiguration (apiserver.config.k8s.io/v1), parsed once at
// start into typed providers per resource. The first provider of a resource encrypts new writes; every provider is
// tried, by its stored prefix, when reading. Supported: aesgcm, aescbc, secretbox, identity.
import { readFileSync } from "node:fs";
import { parse } from "yaml";

export type Provider =
  { type: "identity" } | { type: "aesgcm" | "aescbc" | "secretbox"; keys: { name: string; secret: Buffer }[] };

export interface EncryptionConfig {
  /** "secrets" or "<resource>.<group>" → providers, first one writes. */
  resources: Map<string, Provider[]>;
}

export class EncryptionConfigError extends Error {}

const keyLengths: Record<string, number[]> = { aesgcm: [16, 24, 32], aescbc: [16, 24, 32], secretbox: [32] };

function record(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new EncryptionConfigError(`${where}: must be an object`);
  return value as Record<string, unknown>;
}

function list(value: unknown, where: string): unknown[] {
  if (!Array.isArray(value) || value.length === 0)
    throw new EncryptionConfigError(`${where}: must be a non-empty list`);
  return value;
}

function parseProvider(value: unknown, where: string): Provider {
  const entry = record(value, where);
  const types = Object.keys(entry);
  if (types.length !== 1)
    throw new EncryptionConfigError(`${where}: exactly one provider type per entry, got ${types.length}`);
  const type = types[0];
  if (type === "identity") return { type };
  if (type !== "aesgcm" && type !== "aescbc" && type !== "secretbox") {
    throw new EncryptionConfigError(
      `${where}: provider type "${type}" is not supported (aesgcm, aescbc, secretbox, identity)`,
    );
  }
  const keys = list(record(entry[type], `${where}.${type}`).keys, `${where}.${type}.keys`).map((k, i) => {
    const keyWhere = `${where}.${type}.keys[${i}]`;
    const key = record(k, keyWhere);
    if (typeof key.name !== "string" || key.name === "")
      throw new EncryptionConfigError(`${keyWhere}.name: Required value`);
    if (typeof key.secret !== "string") throw new EncryptionConfigError(`${keyWhere}.secret: Required value`);
    const secret = Buffer.from(key.secret, "base64");
    if (!keyLengths[type].includes(secret.length)) {
      throw new EncryptionConfigError(
        `${keyWhere}.secret: Invalid value: "REDACTED": secret is not of the expected length, got ${secret.length}, expected one of ${JSON.stringify(keyLengths[type])}`,
      );
    }
    return { name: key.name, secret };
  });
  return { type, keys };
}

export function parseEncryptionConfig(text: string, file = "encryption config"): EncryptionConfig {
  const doc = record(parse(text), file);
  if (doc.kind !== "EncryptionConfiguration" || doc.apiVersion !== "apiserver.config.k8s.io/v1") {
    throw new EncryptionConfigError(
      `${file}: want apiVersion apiserver.config.k8s.io/v1, kind EncryptionConfiguration`,
    );
  }
  const resources = new Map<string, Provider[]>();
  list(doc.resources, `${file}: resources`).forEach((r, i) => {
    const entry = record(r, `resources[${i}]`);
    const providers = list(entry.providers, `resources[${i}].providers`).map((p, j) =>
      parseProvider(p, `resources[${i}].providers[${j}]`),
    );
    for (const name of list(entry.resources, `resources[${i}].resources`)) {
      if (typeof name !== "string") throw new EncryptionConfigError(`resources[${i}].resources: must be strings`);
      if (resources.has(name)) throw new EncryptionConfigError(`resources[${i}].resources: "${name}" is listed twice`);
      resources.set(name, providers);
    }
  });
  return { resources };
}

export const loadEncryptionConfig = (file: string): EncryptionConfig =>
  parseEncryptionConfig(readFileSync(file, "utf8"), file);
