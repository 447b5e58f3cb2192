// The PersistentVolume controller's decisions, branch for branch as upstream's pv_controller.go syncClaim /
// syncUnboundClaim / syncBoundClaim / syncVolume. Each call looks at one object as cached now, takes the steps
// that object needs, and is safe to repeat: every step writes only what differs, and a 409 throws so the
// queue retries on fresh data. Nothing is remembered between calls except the caches.
import type { PersistentVolume, PersistentVolumeClaim, Pod } from "../../api/core/types.js";
import type { NodeLabels } from "../../api/selectors/nodeselector.js";
import { claimClass, claimHasClass, defaultClass, isDelayBindingMode } from "../../api/storagerules/class.js";
import { isVolumeBoundToClaim } from "../../api/storagerules/claimref.js";
import { checkVolumeModeMismatches } from "../../api/storagerules/modes.js";
import { checkVolumeSatisfyClaim } from "../../api/storagerules/requested.js";
import {
  AnnBetaStorageProvisioner,
  AnnBindCompleted,
  AnnBoundByController,
  AnnDynamicallyProvisioned,
  AnnSelectedNode,
  AnnStorageProvisioner,
  EventClaimLost,
  EventClaimMisbound,
  EventExternalProvisioning,
  EventFailedBinding,
  EventProvisioningFailed,
  EventVolumeMismatch,
  EventWaitForFirstConsumer,
  EventWaitForPodScheduled,
  LabelHostname,
} from "../../api/wellknown.js";
import {
  bind,
  saveClaim,
  unbindVolume,
  updateClaimStatus,
  updateClaimStatusWithEvent,
  updateVolumePhase,
} from "./actions.js";
import type { BinderContext } from "./context.js";
import { reclaimVolume } from "./reclaim.js";
import { claimKey, claimRefKey, hasAnnotation } from "./volumeutil.js";

// The binder's tables test it here, where it was born.
export { checkVolumeSatisfyClaim };

/** The provisioner of classes whose volumes an administrator makes (local volumes): nothing provisions them. */
const noProvisioner = "kubernetes.io/no-provisioner";

// Event messages, worded as upstream (users search for these).
export const msgNoVolumeNoClass = "no persistent volumes available for this claim and no storage class is set";
export const msgWaitForFirstConsumer = "waiting for first consumer to be created before binding";
export const msgLostReference = "Bound claim has lost reference to PersistentVolume. Data on the volume is lost!";
export const msgLostVolume = "Bound claim has lost its PersistentVolume. Data on the volume is lost!";
export const msgMisbound = "Two claims are bound to the same volume, this one is bound incorrectly";
export const msgExternalProvisioning = (provisioner: string): string =>
  `Waiting for a volume to be created either by the external provisioner '${provisioner}' or manually by the ` +
  `system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.`;

/** syncClaim: a claim that never completed binding goes the unbound way; one that did is checked for loss. */
export async function syncClaim(ctx: BinderContext, key: string): Promise<void> {
  const claim = ctx.claims.get(key);
  if (!claim) return; // deleted: its volume's sync releases the volume
  if (!hasAnnotation(claim, AnnBindCompleted)) return syncUnboundClaim(ctx, claim);
  return syncBoundClaim(ctx, claim);
}

function selectedNode(ctx: BinderContext, claim: PersistentVolumeClaim): NodeLabels | undefined {
  const name = claim.metadata.annotations?.[AnnSelectedNode];
  if (!name) return undefined;
  const node = ctx.nodes.get(name);
  // Without a Node object, the hostname label is the one thing a node is sure to carry.
  return { name, labels: node ? { ...(node.metadata.labels ?? {}) } : { [LabelHostname]: name } };
}

async function syncUnboundClaim(ctx: BinderContext, claim: PersistentVolumeClaim): Promise<void> {
  if (!claim.spec.volumeName) {
    // The user did not care which volume they get.
    const delayBinding = isDelayBindingMode(claim, (name) => ctx.classes.get(name));
    // Upstream's PV controller never gives a delayed claim a free volume: the scheduler picks static volumes
    // before it selects a node, and a selected node on a class with a provisioner is the provisioner's cue. So
    // only a class without one (local volumes) gets our stand-in for the scheduler's step.
    const provisioned = ctx.classes.get(claimClass(claim))?.provisioner !== noProvisioner;
    const node =
      delayBinding && !provisioned && (ctx.bindDelayedWithSelectedNode ?? true) ? selectedNode(ctx, claim) : undefined;
    const volume = ctx.volumes.findBestMatch(claim, { delayBinding, node });
    if (volume) return bind(ctx, volume, claim); // on any error, the next syncClaim finishes the binding

    // No volume: maybe the claim was made before a default class existed (RetroactiveDefaultStorageClass).
    if (await assignDefaultStorageClass(ctx, claim)) return; // the update requeues the claim
    if (delayBinding && !hasAnnotation(claim, AnnSelectedNode)) {
      emitEventForUnboundDelayBindingClaim(ctx, claim);
    } else if (claimClass(claim) !== "") {
      // provisionClaim returns without touching the phase, as upstream's does.
      return provisionClaim(ctx, claim);
    } else {
      ctx.recorder.event(claim, "Normal", EventFailedBinding, msgNoVolumeNoClass);
    }
    // Pending; a volume appearing, the claim changing or the periodic resync brings us back.
    await updateClaimStatus(ctx, claim, "Pending", undefined);
    return;
  }

  // The user asked for a specific volume.
  const volume = ctx.volumes.get(claim.spec.volumeName);
  if (!volume) {
    // Not there (yet): stay Pending and try again on the next sync.
    await updateClaimStatus(ctx, claim, "Pending", undefined);
    return;
  }
  if (!volume.spec.claimRef) {
    const mismatch = checkVolumeSatisfyClaim(volume, claim);
    if (mismatch) {
      ctx.recorder.event(
        claim,
        "Warning",
        EventVolumeMismatch,
        `Cannot bind to requested volume "${volume.metadata.name}": ${mismatch}`,
      );
      await updateClaimStatus(ctx, claim, "Pending", undefined);
      return;
    }
    return bind(ctx, volume, claim);
  }
  if (isVolumeBoundToClaim(volume, claim)) {
    // The volume already points here (pre-bound, or our own earlier PV write): finish the binding.
    return bind(ctx, volume, claim);
  }
  // The volume belongs to someone else.
  const message = `volume "${volume.metadata.name}" already bound to a different claim.`;
  ctx.recorder.event(claim, "Warning", EventFailedBinding, message);
  if (!hasAnnotation(claim, AnnBoundByController)) {
    await updateClaimStatus(ctx, claim, "Pending", undefined);
    return;
  }
  // We set volumeName ourselves yet the volume went elsewhere: only someone removing bind-completed gets here.
  throw new Error(
    `invalid binding of claim "${claimKey(claim)}" to volume "${claim.spec.volumeName}": volume already claimed by "${claimRefKey(volume.spec.claimRef)}"`,
  );
}

async function syncBoundClaim(ctx: BinderContext, claim: PersistentVolumeClaim): Promise<void> {
  if (!claim.spec.volumeName) {
    await updateClaimStatusWithEvent(ctx, claim, "Lost", undefined, "Warning", EventClaimLost, msgLostReference);
    return;
  }
  const volume = ctx.volumes.get(claim.spec.volumeName);
  if (!volume) {
    await updateClaimStatusWithEvent(ctx, claim, "Lost", undefined, "Warning", EventClaimLost, msgLostVolume);
    return;
  }
  if (!volume.spec.claimRef || volume.spec.claimRef.uid === claim.metadata.uid) {
    // Unbound volume (or our PV write not yet seen): bind again; already bound: bind() finds nothing to write.
    return bind(ctx, volume, claim);
  }
  // The volume is bound to another claim: this one is Lost, a terminal phase.
  if (claim.status?.phase !== "Lost") ctx.recorder.event(claim, "Warning", EventClaimMisbound, msgMisbound);
  await updateClaimStatus(ctx, claim, "Lost", undefined);
}

/** assignDefaultStorageClass: only a claim that never chose a class (not even "") gets the default. */
async function assignDefaultStorageClass(ctx: BinderContext, claim: PersistentVolumeClaim): Promise<boolean> {
  if (claimHasClass(claim)) return false;
  const storageClass = defaultClass(ctx.classes.list());
  if (!storageClass) return false;
  const next = structuredClone(claim) as PersistentVolumeClaim;
  next.spec.storageClassName = storageClass.metadata.name;
  await saveClaim(ctx, next);
  return true;
}

/** Pods not yet scheduled that use the claim, as findNonScheduledPodsByPVC (terminal pods excluded). */
function unscheduledPods(pods: Pod[]): string[] {
  return pods
    .filter((pod) => pod.status?.phase !== "Succeeded" && pod.status?.phase !== "Failed" && !pod.spec.nodeName)
    .map((pod) => pod.metadata.name ?? "");
}

function emitEventForUnboundDelayBindingClaim(ctx: BinderContext, claim: PersistentVolumeClaim): void {
  const podNames = unscheduledPods(ctx.podsUsingClaim(claim.metadata.namespace ?? "", claim.metadata.name ?? ""));
  if (podNames.length === 0) {
    ctx.recorder.event(claim, "Normal", EventWaitForFirstConsumer, msgWaitForFirstConsumer);
  } else {
    const message =
      podNames.length > 1
        ? `waiting for pods ${podNames.join(",")} to be scheduled`
        : `waiting for pod ${podNames[0]} to be scheduled`;
    ctx.recorder.event(claim, "Normal", EventWaitForPodScheduled, message);
  }
}

/**
 * provisionClaim: stowage has no in-tree provisioners, so every class is an external one: annotate the claim
 * for the provisioner (the annotation is what external-provisioner watches for) and say so in an event.
 * "kubernetes.io/…" names are in-tree plugin names upstream; none exist here, "kubernetes.io/no-provisioner"
 * included, which fails as upstream's does while the claim waits for a static volume.
 */
async function provisionClaim(ctx: BinderContext, claim: PersistentVolumeClaim): Promise<void> {
  const className = claimClass(claim);
  const storageClass = ctx.classes.get(className);
  if (!storageClass) {
    ctx.recorder.event(
      claim,
      "Warning",
      EventProvisioningFailed,
      `storageclass.storage.k8s.io "${className}" not found`,
    );
    return;
  }
  const provisioner = storageClass.provisioner;
  if (provisioner.startsWith("kubernetes.io/")) {
    ctx.recorder.event(claim, "Warning", EventProvisioningFailed, `no volume plugin matched name: ${provisioner}`);
    return;
  }
  let annotated = claim;
  if (claim.metadata.annotations?.[AnnStorageProvisioner] !== provisioner) {
    const next = structuredClone(claim) as PersistentVolumeClaim;
    next.metadata.annotations = {
      ...(next.metadata.annotations ?? {}),
      [AnnBetaStorageProvisioner]: provisioner,
      [AnnStorageProvisioner]: provisioner,
    };
    try {
      annotated = await saveClaim(ctx, next);
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      ctx.recorder.event(claim, "Warning", EventProvisioningFailed, `Error saving claim: ${detail}`);
      throw err;
    }
  }
  ctx.recorder.event(annotated, "Normal", EventExternalProvisioning, msgExternalProvisioning(provisioner));
}

/** syncVolume: the volume's side of every binding state (upstream's "unit test set 4"). */
export async function syncVolume(ctx: BinderContext, name: string): Promise<void> {
  const volume = ctx.volumes.get(name);
  if (!volume) return;
  const ref = volume.spec.claimRef;
  if (!ref) {
    await updateVolumePhase(ctx, volume, "Available", "");
    return;
  }
  if (!ref.uid) {
    // Pre-bound by a user to a claim that has not bound yet: Available for that claim only.
    await updateVolumePhase(ctx, volume, "Available", "");
    return;
  }
  const namespace = ref.namespace ?? "";
  const claimName = ref.name ?? "";
  let claim = ctx.claims.get(claimRefKey(ref));
  if (!claim && volume.status?.phase !== "Released" && volume.status?.phase !== "Failed") {
    // A provisioner or scheduler may have written this claimRef for a claim our cache has not seen yet: ask the
    // apiserver before releasing anything.
    claim = await ctx.api.getClaim(namespace, claimName);
  }
  if (claim && claim.metadata.uid !== ref.uid) {
    // Our copy may be older than the claimRef: only the apiserver can say whether the claim was re-created.
    claim = await ctx.api.getClaim(namespace, claimName);
    if (claim && claim.metadata.uid !== ref.uid) claim = undefined;
  }

  if (!claim) {
    // The claim is gone: Released, then the reclaim policy.
    await releaseAndReclaim(ctx, volume);
    return;
  }
  if (!claim.spec.volumeName) {
    if (checkVolumeModeMismatches(claim.spec, volume.spec)) {
      // syncClaim will never pick this volume; say why on both objects and leave it.
      ctx.recorder.event(
        volume,
        "Warning",
        EventVolumeMismatch,
        `Cannot bind PersistentVolume to requested PersistentVolumeClaim "${claim.metadata.name}" due to incompatible volumeMode.`,
      );
      ctx.recorder.event(
        claim,
        "Warning",
        EventVolumeMismatch,
        `Cannot bind PersistentVolume "${volume.metadata.name}" to requested PersistentVolumeClaim due to incompatible volumeMode.`,
      );
      return;
    }
    // The volume is bound and the claim is Pending: syncClaim finishes it (this also binds provisioned volumes).
    ctx.enqueueClaim(claimKey(claim));
    return;
  }
  if (claim.spec.volumeName === volume.metadata.name) {
    await updateVolumePhase(ctx, volume, "Bound", "");
    return;
  }
  // The claim is bound to another volume.
  if (hasAnnotation(volume, AnnDynamicallyProvisioned) && volume.spec.persistentVolumeReclaimPolicy === "Delete") {
    // Provisioned for this claim, which went elsewhere: not needed, delete it.
    await releaseAndReclaim(ctx, volume);
    return;
  }
  // Bound by us: give it back to the pool. Pre-bound by a user: keep the claimRef, drop the UID, and wait.
  await unbindVolume(ctx, volume);
}

/**
 * A volume whose claim no longer wants it: Released (once; a Failed volume keeps Failed so the user sees what
 * went wrong), then its reclaim policy. Failed reclaims are retried on every sync.
 */
async function releaseAndReclaim(ctx: BinderContext, volume: PersistentVolume): Promise<void> {
  const phase = volume.status?.phase;
  const released =
    phase === "Released" || phase === "Failed" ? volume : await updateVolumePhase(ctx, volume, "Released", "");
  await reclaimVolume(ctx, released);
}
