// The snapshotter secret of a VolumeSnapshotClass (external-snapshotter pkg/utils GetSecretReference): the class's
// parameters csi.storage.k8s.io/snapshotter-secret-name and …-namespace, both or neither, may be templates:
//   namespace: ${volumesnapshotcontent.name}, ${volumesnapshot.namespace}
//   name:      ${volumesnapshotcontent.name}, ${volumesnapshot.namespace}, ${volumesnapshot.name}
// The snapshot controller resolves them when it creates the content and records the result on the content as the
// annotations snapshot.storage.kubernetes.io/deletion-secret-name / -namespace; the csi-snapshotter sidecar reads
// the secret named there for CreateSnapshot and DeleteSnapshot (so deletion still works once the snapshot is gone).
import type { VolumeSnapshot } from "../../api/snapshot/types.js";

export const SnapshotterSecretNameKey = "csi.storage.k8s.io/snapshotter-secret-name";
export const SnapshotterSecretNamespaceKey = "csi.storage.k8s.io/snapshotter-secret-namespace";

export interface SecretReference {
  name: string;
  namespace: string;
}

/** A class's secret parameters that cannot be resolved; the message is upstream's. */
export class SecretReferenceError extends Error {
  override name = "SecretReferenceError";
}

const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const isDns1123Label = (value: string) => value.length <= 63 && dns1123Label.test(value);
const isDns1123Subdomain = (value: string) =>
  value.length > 0 && value.length <= 253 && value.split(".").every((label) => dns1123Label.test(label));

/** Go's os.Expand over ${name} and $name; unknown names are collected, as upstream's resolveTemplate. */
function resolveTemplate(template: string, params: Record<string, string>): string {
  const missing = new Set<string>();
  const resolved = template.replace(/\$\{([^}]*)\}|\$([A-Za-z0-9_]+)/g, (_match, braced?: string, bare?: string) => {
    const key = braced ?? bare ?? "";
    if (!(key in params)) {
      missing.add(key);
      return "";
    }
    return params[key];
  });
  if (missing.size > 0) {
    // Go's %q of a sorted []string: ["a" "b"]
    const list = [...missing].sort().map((k) => JSON.stringify(k));
    throw new SecretReferenceError(`invalid tokens: [${list.join(" ")}]`);
  }
  return resolved;
}

/** The secret the class asks for, resolved for this content and snapshot; undefined when the class names none. */
export function snapshotterSecretRef(
  parameters: Record<string, string> | undefined,
  contentName: string,
  snapshot: VolumeSnapshot,
): SecretReference | undefined {
  const nameTemplate = parameters?.[SnapshotterSecretNameKey];
  const namespaceTemplate = parameters?.[SnapshotterSecretNamespaceKey];
  if (nameTemplate === undefined && namespaceTemplate === undefined) return undefined;
  if (nameTemplate === undefined || namespaceTemplate === undefined) {
    throw new SecretReferenceError(
      "failed to get name and namespace template from params: either name and namespace for Snapshotter secrets specified, Both must be specified",
    );
  }
  // Neither the content name nor the snapshot's namespace is chosen freely by the snapshot's user.
  let namespace: string;
  try {
    namespace = resolveTemplate(namespaceTemplate, {
      "volumesnapshotcontent.name": contentName,
      "volumesnapshot.namespace": snapshot.metadata.namespace ?? "",
    });
  } catch (err) {
    throw new SecretReferenceError(
      `error resolving value ${JSON.stringify(namespaceTemplate)}: ${(err as Error).message}`,
    );
  }
  if (!isDns1123Label(namespace)) {
    throw new SecretReferenceError(
      namespace !== namespaceTemplate
        ? `${JSON.stringify(namespaceTemplate)} resolved to ${JSON.stringify(namespace)} which is not a valid namespace name`
        : `${JSON.stringify(namespaceTemplate)} is not a valid namespace name`,
    );
  }
  let name: string;
  try {
    name = resolveTemplate(nameTemplate, {
      "volumesnapshotcontent.name": contentName,
      "volumesnapshot.name": snapshot.metadata.name ?? "",
      "volumesnapshot.namespace": snapshot.metadata.namespace ?? "",
    });
  } catch (err) {
    throw new SecretReferenceError(`error resolving value ${JSON.stringify(nameTemplate)}: ${(err as Error).message}`);
  }
  if (!isDns1123Subdomain(name)) {
    throw new SecretReferenceError(
      name !== nameTemplate
        ? `${JSON.stringify(nameTemplate)} resolved to ${JSON.stringify(name)} which is not a valid secret name`
        : `${JSON.stringify(nameTemplate)} is not a valid secret name`,
    );
  }
  return { name, namespace };
}
