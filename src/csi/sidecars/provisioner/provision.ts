// syncClaim: one claim one step toward having a PV, as sig-storage-lib-external-provisioner's syncClaim and
// external-provisioner's Provision do it. The PV's name is "pvc-<claim uid>" and CreateVolume is idempotent by
// that name, so a sync repeated after a crash, a timeout or a lost PV write finds the same volume and finishes
// it; the PV (with its claimRef) is written last, and the PV controller binds it.
import type { PersistentVolume, PersistentVolumeClaim } from "../../../api/core/types.js";
import { Quantity } from "../../../api/quantity.js";
import type { StorageClass } from "../../../api/storage/types.js";
import { claimClass } from "../../../api/storagerules/class.js";
import { claimReference } from "../../../api/storagerules/claimref.js";
import {
  AnnBetaStorageProvisioner,
  AnnDynamicallyProvisioned,
  AnnProvisionerDeletionSecretRefName,
  AnnProvisionerDeletionSecretRefNamespace,
  AnnSelectedNode,
  AnnStorageProvisioner,
  CSIProvisionerIdentityKey,
  EventProvisioning,
  EventProvisioningFailed,
  EventProvisioningSucceeded,
  ProvisionerVolumeFinalizer,
} from "../../../api/wellknown.js";
import { isAlreadyExists } from "../../../client/index.js";
import { Code, CsiError, grpcErrorText } from "../../errors.js";
import type { Volume__Output } from "../../generated/csi/v1/Volume.js";
import type { ProvisionerContext } from "./context.js";
import { ProvisionError, createVolumeRequest, type ProvisioningState, type VolumeRequest } from "./request.js";
import { volumeNodeAffinity } from "./topology.js";

/** makeVolumeName with upstream's defaults (--volume-name-prefix=pvc, no UUID truncation). */
export function volumeNameFor(claim: PersistentVolumeClaim): string {
  return `pvc-${claim.metadata.uid}`;
}

const provisionerOf = (claim: PersistentVolumeClaim): string | undefined =>
  claim.metadata.annotations?.[AnnStorageProvisioner] ?? claim.metadata.annotations?.[AnnBetaStorageProvisioner];

/** shouldProvision: unbound, annotated for our driver, and (WaitForFirstConsumer) with a node selected. */
function shouldProvision(ctx: ProvisionerContext, claim: PersistentVolumeClaim): StorageClass | undefined {
  if (claim.spec.volumeName) return undefined;
  if (provisionerOf(claim) !== ctx.driverName) return undefined;
  const className = claimClass(claim);
  const storageClass = ctx.classes.get(className);
  // Retried: the class can be (re)created independently of the claim.
  if (!storageClass) throw new Error(`storageClass "${className}" not found`);
  if (storageClass.volumeBindingMode === "WaitForFirstConsumer" && !claim.metadata.annotations?.[AnnSelectedNode]) {
    return undefined; // the scheduler sets selected-node; that update brings the claim back
  }
  return storageClass;
}

/** Syncs the claim with this uid (or, deleted meanwhile, the in-progress copy). Throws to be retried. */
export async function syncClaim(ctx: ProvisionerContext, uid: string): Promise<void> {
  const claim = ctx.claims.byIndex(claimUidIndex, uid)[0] ?? ctx.inProgress.get(uid);
  if (!claim) return;
  const storageClass = shouldProvision(ctx, claim);
  if (!storageClass) return;
  try {
    await provisionClaim(ctx, claim, storageClass);
    ctx.inProgress.delete(uid);
  } catch (err) {
    if (err instanceof ProvisionError && err.state === "inBackground") ctx.inProgress.set(uid, claim);
    else if (!(err instanceof ProvisionError) || err.state !== "noChange") ctx.inProgress.delete(uid);
    throw err;
  }
}

export const claimUidIndex = "uid";

/** provisionClaimOperation. Resolves when the PV exists (or provisioning is not ours to do). */
async function provisionClaim(
  ctx: ProvisionerContext,
  claim: PersistentVolumeClaim,
  storageClass: StorageClass,
): Promise<void> {
  const pvName = volumeNameFor(claim);
  // A previous sync may have finished: the name is deterministic, so an existing PV means done.
  if (ctx.volumes.get(pvName) || ctx.created.has(pvName)) return;
  if (storageClass.provisioner !== ctx.driverName) return; // class changed since the claim was annotated

  const namespacedName = `${claim.metadata.namespace}/${claim.metadata.name}`;
  ctx.recorder.event(
    claim,
    "Normal",
    EventProvisioning,
    `External provisioner is provisioning volume for claim "${namespacedName}"`,
  );

  let volume: PersistentVolume;
  try {
    volume = await provision(ctx, claim, storageClass, pvName);
  } catch (err) {
    const state = err instanceof ProvisionError ? err.state : "inBackground";
    // sig-storage-lib-external-provisioner wraps every Provision error this way; users search for these words.
    const message = `failed to provision volume with StorageClass ${JSON.stringify(storageClass.metadata.name ?? "")}: ${grpcErrorText(err instanceof ProvisionError && err.cause ? err.cause : err)}`;
    if (err instanceof ProvisionError && err.cause instanceof CsiError && err.cause.code === Code.INVALID_ARGUMENT) {
      ctx.recorder.event(
        claim,
        "Warning",
        EventProvisioningFailed,
        `Volume provisioning failed with infeasible error. Retries will be delayed. ${message}`,
      );
      throw err;
    }
    ctx.recorder.event(claim, "Warning", EventProvisioningFailed, message);
    if (state === "reschedule" && claim.metadata.annotations?.[AnnSelectedNode] !== undefined) {
      // The driver cannot make it on the selected node: drop selected-node so the scheduler picks again.
      await rescheduleProvisioning(ctx, claim);
      return;
    }
    throw err;
  }

  try {
    await ctx.client.persistentVolumes.create(volume);
  } catch (err) {
    // Another sync (or a previous life of this process) saved it first: the same PV, so this one is done.
    if (!isAlreadyExists(err))
      throw new ProvisionError(`error saving volume ${pvName}: ${grpcErrorText(err)}`, "inBackground");
  }
  ctx.created.add(pvName);
  ctx.recorder.event(claim, "Normal", EventProvisioningSucceeded, `Successfully provisioned volume ${pvName}`);
}

async function rescheduleProvisioning(ctx: ProvisionerContext, claim: PersistentVolumeClaim): Promise<void> {
  const next = structuredClone(claim) as PersistentVolumeClaim;
  delete next.metadata.annotations?.[AnnSelectedNode];
  try {
    await ctx.client.persistentVolumeClaims.update(next);
  } catch (err) {
    throw new Error(
      `delete annotation 'annSelectedNode' for PersistentVolumeClaim "${claim.metadata.namespace}/${claim.metadata.name}": ${grpcErrorText(err)}`,
    );
  }
}

/** CreateVolume for the claim: the driver's volume and its size (a size 0 is taken as what was asked). */
async function createVolume(
  ctx: ProvisionerContext,
  { request, requiredBytes, selectedNode }: VolumeRequest,
  pvName: string,
): Promise<{ created: Volume__Output; capacityBytes: bigint }> {
  let response;
  try {
    response = await ctx.csi.controller.CreateVolume(request, { timeoutMs: ctx.timeoutMs });
  } catch (err) {
    const mayReschedule = ctx.supportsTopology && !!selectedNode;
    throw new ProvisionError(grpcErrorText(err), checkError(err, mayReschedule), { cause: err });
  }
  const created = response.volume;
  if (!created) throw new ProvisionError("CreateVolume returned no volume", "inBackground");

  const capacityBytes = BigInt(created.capacity_bytes);
  // Zero means "unknown" in CSI (NFS-like drivers); the PV then shows what was asked for.
  if (capacityBytes === 0n) return { created, capacityBytes: requiredBytes };
  if (capacityBytes < requiredBytes) {
    let message = `created volume capacity ${capacityBytes} less than requested capacity ${requiredBytes}`;
    try {
      await ctx.csi.controller.DeleteVolume(
        { volume_id: created.volume_id, secrets: request.secrets ?? {} },
        { timeoutMs: ctx.timeoutMs },
      );
    } catch (err) {
      message = `${message}. Cleanup of volume ${pvName} failed, volume is orphaned: ${grpcErrorText(err)}`;
    }
    throw new ProvisionError(message, "inBackground");
  }
  return { created, capacityBytes };
}

/** The PV for the driver's volume, bound (claimRef) to the claim; not yet saved. */
function persistentVolumeFor(
  ctx: ProvisionerContext,
  claim: PersistentVolumeClaim,
  storageClass: StorageClass,
  pvName: string,
  { refs, fsType, block }: VolumeRequest,
  { created, capacityBytes }: { created: Volume__Output; capacityBytes: bigint },
): PersistentVolume {
  const annotations: Record<string, string> = {
    [AnnDynamicallyProvisioned]: storageClass.provisioner,
    // Where DeleteVolume finds its secret later, even if the class changes (empty: none needed).
    [AnnProvisionerDeletionSecretRefName]: refs.provisioner?.name ?? "",
    [AnnProvisionerDeletionSecretRefNamespace]: refs.provisioner?.namespace ?? "",
  };
  const volume: PersistentVolume = {
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name: pvName, annotations, finalizers: [ProvisionerVolumeFinalizer] },
    spec: {
      accessModes: [...(claim.spec.accessModes ?? [])],
      capacity: { storage: Quantity.fromValue(capacityBytes, "BinarySI").toString() },
      csi: {
        driver: ctx.driverName,
        volumeHandle: created.volume_id,
        volumeAttributes: { [CSIProvisionerIdentityKey]: ctx.identity, ...created.volume_context },
        ...(!block && fsType ? { fsType } : {}),
        ...(refs.controllerPublish ? { controllerPublishSecretRef: refs.controllerPublish } : {}),
        ...(refs.nodeStage ? { nodeStageSecretRef: refs.nodeStage } : {}),
        ...(refs.nodePublish ? { nodePublishSecretRef: refs.nodePublish } : {}),
        ...(refs.controllerExpand ? { controllerExpandSecretRef: refs.controllerExpand } : {}),
        ...(refs.nodeExpand ? { nodeExpandSecretRef: refs.nodeExpand } : {}),
      },
      claimRef: claimReference(claim),
      storageClassName: claimClass(claim),
      ...(storageClass.mountOptions ? { mountOptions: [...storageClass.mountOptions] } : {}),
      ...(storageClass.reclaimPolicy ? { persistentVolumeReclaimPolicy: storageClass.reclaimPolicy } : {}),
      ...(claim.spec.volumeMode ? { volumeMode: claim.spec.volumeMode } : {}),
    },
  };
  if (ctx.supportsTopology) {
    const affinity = volumeNodeAffinity(created.accessible_topology);
    if (affinity) volume.spec.nodeAffinity = affinity;
  }
  return volume;
}

/** prepareProvision + Provision: CreateVolume, then the PV object (not yet saved). */
async function provision(
  ctx: ProvisionerContext,
  claim: PersistentVolumeClaim,
  storageClass: StorageClass,
  pvName: string,
): Promise<PersistentVolume> {
  const request = await createVolumeRequest(ctx, claim, storageClass, pvName);
  const created = await createVolume(ctx, request, pvName);
  return persistentVolumeFor(ctx, claim, storageClass, pvName, request, created);
}

/** upstream's checkError: may a failed CreateVolume still be running, or should the scheduler pick again? */
function checkError(err: unknown, mayReschedule: boolean): ProvisioningState {
  if (!(err instanceof CsiError)) return "inBackground";
  switch (err.code) {
    case Code.RESOURCE_EXHAUSTED:
      return mayReschedule ? "reschedule" : "finished";
    case Code.CANCELLED:
    case Code.DEADLINE_EXCEEDED:
    case Code.UNAVAILABLE:
    case Code.ABORTED:
      return "inBackground";
    default:
      return "finished";
  }
}
