// StorageClass parameters as external-provisioner reads them: the reserved "csi.storage.k8s.io/" keys are the
// provisioner's own (fstype, the secret references with their ${…} templates) and are stripped before the rest
// reaches CreateVolume; an unknown key under that prefix is refused, as upstream's removePrefixedParameters does.
import type { PersistentVolumeClaim, SecretReference } from "../../../api/core/types.js";

export const csiParameterPrefix = "csi.storage.k8s.io/";
export const prefixedFsTypeKey = `${csiParameterPrefix}fstype`;
/** --extra-create-metadata: added to CreateVolume's parameters. */
export const pvcNameKey = `${csiParameterPrefix}pvc/name`;
export const pvcNamespaceKey = `${csiParameterPrefix}pvc/namespace`;
export const pvNameKey = `${csiParameterPrefix}pv/name`;

/** A parameter problem the user fixes in the StorageClass (or claim); the message is upstream's wording. */
export class ParameterError extends Error {
  override name = "ParameterError";
}

/** One kind of secret a class can name (upstream's secretParamsMap). */
export interface SecretParams {
  /** For messages: "Provisioner", "NodeStage", … */
  name: string;
  nameKey: string;
  namespaceKey: string;
  /** The older, unprefixed keys ("csiProvisionerSecretName"); honoured but not stripped, as upstream. */
  deprecatedNameKey?: string;
  deprecatedNamespaceKey?: string;
}

const secretParams = (
  name: string,
  prefix: string,
  deprecated?: { name: string; namespace: string },
): SecretParams => ({
  name,
  nameKey: `${csiParameterPrefix}${prefix ? `${prefix}-` : ""}secret-name`,
  namespaceKey: `${csiParameterPrefix}${prefix ? `${prefix}-` : ""}secret-namespace`,
  ...(deprecated ? { deprecatedNameKey: deprecated.name, deprecatedNamespaceKey: deprecated.namespace } : {}),
});

/** "csi.storage.k8s.io/secret-name|namespace": used for every purpose that names no secret of its own. */
export const defaultSecretParams = secretParams("Default", "");

export const provisionerSecretParams = secretParams("Provisioner", "provisioner", {
  name: "csiProvisionerSecretName",
  namespace: "csiProvisionerSecretNamespace",
});
export const controllerPublishSecretParams = secretParams("ControllerPublish", "controller-publish", {
  name: "csiControllerPublishSecretName",
  namespace: "csiControllerPublishSecretNamespace",
});
export const nodeStageSecretParams = secretParams("NodeStage", "node-stage", {
  name: "csiNodeStageSecretName",
  namespace: "csiNodeStageSecretNamespace",
});
export const nodePublishSecretParams = secretParams("NodePublish", "node-publish", {
  name: "csiNodePublishSecretName",
  namespace: "csiNodePublishSecretNamespace",
});
export const controllerExpandSecretParams = secretParams("ControllerExpand", "controller-expand");
export const nodeExpandSecretParams = secretParams("NodeExpand", "node-expand");
export const controllerModifySecretParams = secretParams("ControllerModify", "controller-modify");

const reservedKeys = new Set<string>([
  prefixedFsTypeKey,
  ...[
    defaultSecretParams,
    provisionerSecretParams,
    controllerPublishSecretParams,
    nodeStageSecretParams,
    nodePublishSecretParams,
    controllerExpandSecretParams,
    nodeExpandSecretParams,
    controllerModifySecretParams,
  ].flatMap((p) => [p.nameKey, p.namespaceKey]),
]);

/** The parameters CreateVolume gets: every reserved key removed; an unknown reserved key is an error. */
export function removePrefixedParameters(parameters: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(parameters)) {
    if (!key.startsWith(csiParameterPrefix)) {
      out[key] = value;
      continue;
    }
    if (!reservedKeys.has(key)) {
      throw new ParameterError(
        `failed to strip CSI Parameters of prefixed keys: found unknown parameter key "${key}" with reserved namespace ${csiParameterPrefix}`,
      );
    }
  }
  return out;
}

/** fstype from "csi.storage.k8s.io/fstype" or the deprecated "fstype" (any case); both at once is an error. */
export function fsTypeOf(parameters: Record<string, string>, defaultFsType = ""): string {
  let found = 0;
  let fsType = "";
  for (const [key, value] of Object.entries(parameters)) {
    if (key.toLowerCase() === "fstype" || key === prefixedFsTypeKey) {
      fsType = value;
      found++;
    }
  }
  if (found > 1) {
    throw new ParameterError(`fstype specified in parameters with both "fstype" and "${prefixedFsTypeKey}" keys`);
  }
  return fsType || defaultFsType;
}

function templates(params: SecretParams, parameters: Record<string, string>): { name: string; namespace: string } {
  let name = "";
  let namespace = "";
  let names = 0;
  let namespaces = 0;
  for (const key of [params.deprecatedNameKey, params.nameKey]) {
    if (key && key in parameters) {
      name = parameters[key];
      names++;
    }
  }
  for (const key of [params.deprecatedNamespaceKey, params.namespaceKey]) {
    if (key && key in parameters) {
      namespace = parameters[key];
      namespaces++;
    }
  }
  if (names > 1 || namespaces > 1) {
    throw new ParameterError(
      `${params.name} secrets specified in parameters with both "csi" and "${csiParameterPrefix}" keys`,
    );
  }
  if (names !== namespaces) {
    throw new ParameterError(`either name and namespace for ${params.name} secrets specified, Both must be specified`);
  }
  if (names === 1 && (name === "" || namespace === "")) {
    throw new ParameterError(
      `${params.name} secrets specified in parameters but value of either namespace or name is empty`,
    );
  }
  return { name, namespace };
}

/** os.Expand over ${token} and $token, refusing tokens we do not know ("invalid tokens: […]"). */
function resolveTemplate(template: string, values: Record<string, string>): string {
  const missing = new Set<string>();
  const resolved = template.replace(/\$\{([^}]*)\}|\$([A-Za-z0-9_]+)/g, (_match, braced?: string, bare?: string) => {
    const key = braced ?? bare ?? "";
    if (!(key in values)) {
      missing.add(key);
      return "";
    }
    return values[key];
  });
  if (missing.size > 0) {
    const list = [...missing].sort().map((k) => JSON.stringify(k));
    throw new ParameterError(`invalid tokens: [${list.join(" ")}]`);
  }
  return resolved;
}

const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * The secret a class names for one purpose, with ${pv.name}, ${pvc.namespace} (both places) and ${pvc.name},
 * ${pvc.annotations['…']} (name only: the claim's user controls those) resolved. Undefined when none is named.
 * Falls back to the class's default "csi.storage.k8s.io/secret-name/namespace" pair, as upstream.
 */
export function secretReference(
  params: SecretParams,
  parameters: Record<string, string>,
  pvName: string,
  claim: Pick<PersistentVolumeClaim, "metadata"> | undefined,
): SecretReference | undefined {
  let found: { name: string; namespace: string };
  try {
    found = templates(params, parameters);
  } catch (err) {
    throw new ParameterError(`failed to get name and namespace template from params: ${(err as Error).message}`);
  }
  if (found.name === "" && found.namespace === "") {
    try {
      found = templates(defaultSecretParams, parameters);
    } catch (err) {
      throw new ParameterError(
        `failed to get default name and namespace template from params: ${(err as Error).message}`,
      );
    }
  }
  if (found.name === "" && found.namespace === "") return undefined;

  const namespaceValues: Record<string, string> = { "pv.name": pvName };
  if (claim) namespaceValues["pvc.namespace"] = claim.metadata.namespace ?? "";
  const namespace = resolveOrExplain(found.namespace, namespaceValues);
  if (namespace.length > 63 || !dns1123Label.test(namespace)) {
    throw new ParameterError(
      namespace !== found.namespace
        ? `${JSON.stringify(found.namespace)} resolved to ${JSON.stringify(namespace)} which is not a valid namespace name`
        : `${JSON.stringify(found.namespace)} is not a valid namespace name`,
    );
  }

  const nameValues: Record<string, string> = { "pv.name": pvName };
  if (claim) {
    nameValues["pvc.name"] = claim.metadata.name ?? "";
    nameValues["pvc.namespace"] = claim.metadata.namespace ?? "";
    for (const [key, value] of Object.entries(claim.metadata.annotations ?? {})) {
      nameValues[`pvc.annotations['${key}']`] = value;
    }
  }
  const name = resolveOrExplain(found.name, nameValues);
  if (name.length > 253 || !dns1123Subdomain.test(name)) {
    throw new ParameterError(
      name !== found.name
        ? `${JSON.stringify(found.name)} resolved to ${JSON.stringify(name)} which is not a valid secret name`
        : `${JSON.stringify(found.name)} is not a valid secret name`,
    );
  }
  return { name, namespace };
}

function resolveOrExplain(template: string, values: Record<string, string>): string {
  try {
    return resolveTemplate(template, values);
  } catch (err) {
    throw new ParameterError(`error resolving value ${JSON.stringify(template)}: ${(err as Error).message}`);
  }
}
