// What CreateVolume is asked for one claim (external-provisioner's prepareProvision): the class's parameters without
// the csi.storage.k8s.io/ ones, the secrets they name, capabilities from the claim's access modes, the data source
// and the topology requirement. A request the claim can never make is a "finished" ProvisionError (no retry).
import { claimRequest } from "../../../api/storagerules/capacity.js";
import { grpcErrorText } from "../../errors.js";
import type { PersistentVolumeAccessMode, PersistentVolumeClaim, SecretReference } from "../../../api/core/types.js";
import type { StorageClass } from "../../../api/storage/types.js";
import { AnnSelectedNode } from "../../../api/wellknown.js";
import type { CreateVolumeRequest } from "../../generated/csi/v1/CreateVolumeRequest.js";
import type { VolumeCapability } from "../../generated/csi/v1/VolumeCapability.js";
import type { ProvisionerContext } from "./context.js";
import { DataSourceError, volumeContentSource } from "./datasource.js";
import {
  ParameterError,
  controllerExpandSecretParams,
  controllerPublishSecretParams,
  fsTypeOf,
  nodeExpandSecretParams,
  nodePublishSecretParams,
  nodeStageSecretParams,
  provisionerSecretParams,
  pvNameKey,
  pvcNameKey,
  pvcNamespaceKey,
  removePrefixedParameters,
  secretReference,
} from "./parameters.js";
import { TopologyError, accessibilityRequirements } from "./topology.js";

/** upstream's ProvisioningState: whether a failed CreateVolume may still be running in the driver. */
export type ProvisioningState = "finished" | "inBackground" | "noChange" | "reschedule";

/** A provisioning attempt failed; `state` says whether the driver may still be working on it. */
export class ProvisionError extends Error {
  override name = "ProvisionError";
  constructor(
    message: string,
    readonly state: ProvisioningState,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const finished = (message: string) => new ProvisionError(message, "finished");

/** Upstream's ToCSIAccessMode for one claim access mode. */
function csiAccessMode(
  mode: PersistentVolumeAccessMode,
  singleNodeMultiWriter: boolean,
): VolumeCapability["access_mode"] {
  switch (mode) {
    case "ReadWriteOnce":
      return { mode: singleNodeMultiWriter ? "SINGLE_NODE_MULTI_WRITER" : "SINGLE_NODE_WRITER" };
    case "ReadWriteOncePod":
      return { mode: singleNodeMultiWriter ? "SINGLE_NODE_SINGLE_WRITER" : "SINGLE_NODE_WRITER" };
    case "ReadOnlyMany":
      return { mode: "MULTI_NODE_READER_ONLY" };
    case "ReadWriteMany":
      return { mode: "MULTI_NODE_MULTI_WRITER" };
  }
}

/** A CreateVolume request and what the PV needs to remember of how it was made. */
export interface VolumeRequest {
  request: CreateVolumeRequest;
  refs: Record<string, SecretReference | undefined>;
  fsType: string;
  block: boolean;
  requiredBytes: bigint;
  selectedNode: string | undefined;
}

/** The topology requirement for the claim, when the driver takes one. */
function topologyRequirement(
  ctx: ProvisionerContext,
  claim: PersistentVolumeClaim,
  storageClass: StorageClass,
  selectedNode: string | undefined,
): CreateVolumeRequest["accessibility_requirements"] {
  try {
    return accessibilityRequirements({
      driverName: ctx.driverName,
      claimName: claim.metadata.name ?? "",
      allowedTopologies: storageClass.allowedTopologies,
      selectedNode,
      csiNodes: { get: (name) => ctx.csiNodes.get(name), list: () => ctx.csiNodes.list() },
      nodes: { get: (name) => ctx.nodes.get(name), list: () => ctx.nodes.list() },
      strictTopology: ctx.strictTopology,
      immediateTopology: ctx.immediateTopology,
    });
  } catch (err) {
    if (err instanceof TopologyError) throw new ProvisionError(err.message, err.reschedule ? "reschedule" : "noChange");
    throw err;
  }
}

export async function createVolumeRequest(
  ctx: ProvisionerContext,
  claim: PersistentVolumeClaim,
  storageClass: StorageClass,
  pvName: string,
): Promise<VolumeRequest> {
  if (claim.spec.selector) throw finished("claim Selector is not supported");
  const parameters = storageClass.parameters ?? {};
  const block = claim.spec.volumeMode === "Block";
  let fsType: string;
  let driverParameters: Record<string, string>;
  let refs: Record<string, SecretReference | undefined>;
  try {
    fsType = fsTypeOf(parameters, ctx.defaultFsType);
    refs = {
      provisioner: secretReference(provisionerSecretParams, parameters, pvName, claim),
      controllerPublish: secretReference(controllerPublishSecretParams, parameters, pvName, claim),
      nodeStage: secretReference(nodeStageSecretParams, parameters, pvName, claim),
      nodePublish: secretReference(nodePublishSecretParams, parameters, pvName, claim),
      controllerExpand: secretReference(controllerExpandSecretParams, parameters, pvName, claim),
      nodeExpand: secretReference(nodeExpandSecretParams, parameters, pvName, claim),
    };
    driverParameters = removePrefixedParameters(parameters);
  } catch (err) {
    if (err instanceof ParameterError) throw finished(err.message);
    throw err;
  }
  if (ctx.extraCreateMetadata) {
    driverParameters[pvcNameKey] = claim.metadata.name ?? "";
    driverParameters[pvcNamespaceKey] = claim.metadata.namespace ?? "";
    driverParameters[pvNameKey] = pvName;
  }

  const requiredBytes = claimRequest(claim).value;
  const accessModes = claim.spec.accessModes ?? [];
  const capabilities: VolumeCapability[] = accessModes.map((mode) => ({
    access_mode: csiAccessMode(mode, ctx.supportsSingleNodeMultiWriter),
    ...(block ? { block: {} } : { mount: { fs_type: fsType, mount_flags: storageClass.mountOptions ?? [] } }),
  }));

  const createRequest: CreateVolumeRequest = {
    name: pvName,
    parameters: driverParameters,
    volume_capabilities: capabilities,
    capacity_range: { required_bytes: requiredBytes.toString() },
  };
  try {
    const contentSource = await volumeContentSource(ctx, claim, requiredBytes);
    if (contentSource) createRequest.volume_content_source = contentSource;
  } catch (err) {
    // upstream: ProvisioningNoChange; the claim stays Pending with a ProvisioningFailed event and is retried.
    if (err instanceof DataSourceError) throw new ProvisionError(err.message, "noChange");
    throw err;
  }
  const selectedNode = claim.metadata.annotations?.[AnnSelectedNode];
  if (ctx.supportsTopology) {
    const requirement = topologyRequirement(ctx, claim, storageClass, selectedNode);
    if (requirement) createRequest.accessibility_requirements = requirement;
  }
  if (refs.provisioner) {
    createRequest.secrets = await credentials(ctx, refs.provisioner);
  }
  return { request: createRequest, refs, fsType, block, requiredBytes, selectedNode };
}

/** getCredentials: the secret's data, decoded. */
export async function credentials(ctx: ProvisionerContext, ref: SecretReference): Promise<Record<string, string>> {
  let secret;
  try {
    secret = await ctx.secrets.get(ref.namespace ?? "", ref.name ?? "");
  } catch (err) {
    throw new ProvisionError(
      `error getting secret ${ref.name} in namespace ${ref.namespace}: ${grpcErrorText(err)}`,
      "noChange",
    );
  }
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(secret.data ?? {})) out[key] = Buffer.from(value, "base64").toString();
  for (const [key, value] of Object.entries(secret.stringData ?? {})) out[key] ??= value;
  return out;
}
