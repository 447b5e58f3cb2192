// The snapshotter secret of a content (external-snapshotter's GetCredentialsFromAnnotation): the snapshot controller
// resolved the class's csi.storage.k8s.io/snapshotter-secret-* templates when it created the content and wrote the
// result as the annotations snapshot.storage.kubernetes.io/deletion-secret-name / -namespace. The secret's data goes
// to CreateSnapshot and DeleteSnapshot as the call's secrets.
import type { VolumeSnapshotContent } from "../../../api/snapshot/types.js";
import { AnnDeletionSecretRefName, AnnDeletionSecretRefNamespace } from "../../../api/wellknown.js";
import type { Client } from "../../../client/index.js";

/** The content's secret cannot be read; the sidecar records it on the content and retries with backoff. */
export class CredentialsError extends Error {
  override name = "CredentialsError";
}

/** The secret's data as strings, {} when the content names none. Throws CredentialsError. */
export async function credentialsOf(client: Client, content: VolumeSnapshotContent): Promise<Record<string, string>> {
  const annotations = content.metadata.annotations ?? {};
  if (!(AnnDeletionSecretRefName in annotations) || !(AnnDeletionSecretRefNamespace in annotations)) return {};
  const name = annotations[AnnDeletionSecretRefName];
  const namespace = annotations[AnnDeletionSecretRefNamespace];
  const contentName = JSON.stringify(content.metadata.name ?? "");
  if (!name || !namespace) {
    throw new CredentialsError(
      `cannot retrieve secrets for snapshot content ${contentName}, err: secret name or namespace not specified`,
    );
  }
  let secret;
  try {
    secret = await client.secrets.get(namespace, name);
  } catch (err) {
    // Upstream logs the cause and says only "cannot get credentials"; the cause is what the user must fix, so it
    // is part of the message here.
    throw new CredentialsError(
      `cannot get credentials for snapshot content ${contentName}: error getting secret ${name} in namespace ${namespace}: ${(err as Error).message}`,
    );
  }
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(secret.data ?? {})) out[key] = Buffer.from(value, "base64").toString();
  for (const [key, value] of Object.entries(secret.stringData ?? {})) out[key] = value;
  return out;
}
