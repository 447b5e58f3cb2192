// A BackupStorageLocation as the data movers use it: the restic repository and its password, read from the Secret.
import type { Client } from "../client/index.js";
import { isNotFound } from "../client/index.js";
import type { BackupStorageLocation } from "../api/backup/types.js";
import type { Repository } from "./restic.js";
import { backupStorageLocationResource } from "./resources.js";

export class LocationError extends Error {}

/** The named location (or the namespace's default one) and its repository; LocationError says what is missing. */
export async function repositoryOf(
  client: Client,
  namespace: string,
  name: string | undefined,
): Promise<{ location: BackupStorageLocation; repository: Repository }> {
  const locations = client.resource(backupStorageLocationResource);
  let location: BackupStorageLocation | undefined;
  if (name) {
    location = await locations.get(namespace, name).catch((err: unknown) => {
      if (isNotFound(err)) return undefined;
      throw err;
    });
    if (!location) throw new LocationError(`backup storage location "${name}" not found in namespace "${namespace}"`);
  } else {
    location = (await locations.list({ namespace })).items.find((l) => l.spec.default);
    if (!location) throw new LocationError(`no default backup storage location in namespace "${namespace}"`);
  }
  const { name: secretName, key } = location.spec.credential;
  const secret = await client.secrets.get(namespace, secretName).catch((err: unknown) => {
    if (isNotFound(err)) return undefined;
    throw err;
  });
  const encoded = secret?.data?.[key];
  if (encoded === undefined) {
    throw new LocationError(
      `secret "${secretName}" key "${key}" (the repository password) not found in "${namespace}"`,
    );
  }
  const base = location.spec.objectStorage.bucket;
  const prefix = location.spec.objectStorage.prefix;
  const url = prefix ? `${base.replace(/\/+$/, "")}/${prefix}` : base;
  return { location, repository: { url, password: Buffer.from(encoded, "base64").toString() } };
}
