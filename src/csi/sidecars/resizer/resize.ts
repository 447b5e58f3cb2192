// One claim's controller-side expansion, as external-resizer's controller.go (resizePVC / resizeVolume) and its
// expand_and_recover.go (allocatedResources, allocatedResourceStatuses) do it: mark the claim Resizing with
// ControllerResizeInProgress, call ControllerExpandVolume, grow the PV's spec.capacity, then either hand over to
// the node (FileSystemResizePending + NodeResizePending) or finish (status.capacity, conditions cleared).
// Level-triggered: a claim still marked Resizing whose PV already grew is expanded again (the CSI call is
// idempotent), which is how a restarted resizer finishes what a killed one began.
import type {
  PersistentVolume,
  PersistentVolumeClaim,
  PersistentVolumeClaimCondition,
  PersistentVolumeClaimStatus,
} from "../../../api/core/types.js";
import { Quantity } from "../../../api/quantity.js";
import {
  AnnStorageResizer,
  EventFileSystemResizeRequired,
  EventResizing,
  EventVolumeResizeFailed,
  EventVolumeResizeSuccess,
} from "../../../api/wellknown.js";
import type { Client, EventRecorder, Lister } from "../../../client/index.js";
import type { CsiClient } from "../../client.js";
import { Code, CsiError } from "../../errors.js";
import { volumeCapability } from "../attacher/capability.js";
import { grpcErrorText } from "../../errors.js";

import type { Log } from "../../../support/log.js";

export interface ResizerContext {
  client: Client;
  csi: CsiClient;
  driverName: string;
  claims: Lister<PersistentVolumeClaim>;
  volumes: Lister<PersistentVolume>;
  recorder: EventRecorder;
  /** Drivers without EXPAND_VOLUME: nothing to call, the PV simply grows (upstream's trivial resizer). */
  trivial: boolean;
  supportsSingleNodeMultiWriter: boolean;
  timeoutMs: number;
  signal: AbortSignal;
  log: Log;
}

const resizing = "Resizing";
const fsResizePending = "FileSystemResizePending";
const controllerResizeError = "ControllerResizeError";
const fsResizePendingMessage = "Waiting for user to (re-)start a pod to finish file system resize of volume on node.";

// util.IsFinalError: only these codes mean "try again later"; anything else the driver will answer the same way.
const transientCodes = new Set<number>([
  Code.CANCELLED,
  Code.DEADLINE_EXCEEDED,
  Code.UNAVAILABLE,
  Code.RESOURCE_EXHAUSTED,
  Code.ABORTED,
]);

const storageOf = (text: string | undefined, field: string): Quantity | undefined =>
  text ? Quantity.parse(text, field) : undefined;

const hasCondition = (claim: PersistentVolumeClaim, type: string) =>
  (claim.status?.conditions ?? []).some((c) => c.type === type && c.status === "True");

/** The PV bound to this claim when it is ours and the claim needs controller expansion; else undefined. */
export function volumeToResize(ctx: ResizerContext, claim: PersistentVolumeClaim): PersistentVolume | undefined {
  if (claim.status?.phase !== "Bound" || !claim.spec.volumeName) return undefined;
  const resizer = claim.metadata.annotations?.[AnnStorageResizer];
  if (resizer && resizer !== ctx.driverName) return undefined;
  const pv = ctx.volumes.get(claim.spec.volumeName);
  if (!pv || pv.spec.csi?.driver !== ctx.driverName) return undefined;
  // Verify the PV is really bound to this claim (external-resizer #61).
  const ref = pv.spec.claimRef;
  if (!ref || ref.name !== claim.metadata.name || ref.namespace !== claim.metadata.namespace) return undefined;
  if (ref.uid && claim.metadata.uid && ref.uid !== claim.metadata.uid) return undefined;
  const requested = storageOf(claim.spec.resources?.requests?.storage, "spec.resources.requests[storage]");
  const capacity = storageOf(claim.status?.capacity?.storage, "status.capacity[storage]");
  if (!requested || !capacity || requested.cmp(capacity) <= 0) return undefined;
  const pvSize = storageOf(pv.spec.capacity?.storage, "spec.capacity[storage]");
  if (pvSize && pvSize.cmp(requested) >= 0) {
    // pvNeedResize: the PV already grew. Waiting on the node → nothing to do; still marked Resizing → we were
    // stopped between the CSI call and the claim update, so expand again to learn whether the node must follow.
    if (hasCondition(claim, fsResizePending)) return undefined;
    if (!hasCondition(claim, resizing)) return undefined;
  }
  return pv;
}

function withConditions(
  claim: PersistentVolumeClaim,
  drop: string[],
  add: PersistentVolumeClaimCondition[],
): PersistentVolumeClaimCondition[] {
  const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  const kept = (claim.status?.conditions ?? []).filter((c) => !drop.includes(c.type));
  return [...kept, ...add.map((c) => ({ lastProbeTime: undefined, lastTransitionTime: now, ...c }))];
}

async function updateStatus(
  ctx: ResizerContext,
  claim: PersistentVolumeClaim,
  status: PersistentVolumeClaimStatus,
): Promise<PersistentVolumeClaim> {
  return ctx.client.persistentVolumeClaims.updateStatus({ ...structuredClone(claim), status });
}

function withoutStorageStatus(claim: PersistentVolumeClaim): PersistentVolumeClaimStatus["allocatedResourceStatuses"] {
  const { storage: _storage, ...others } = claim.status?.allocatedResourceStatuses ?? {};
  return Object.keys(others).length ? others : undefined;
}

export async function syncClaim(ctx: ResizerContext, key: string): Promise<void> {
  const cached = ctx.claims.get(key);
  if (!cached) return;
  const pv = volumeToResize(ctx, cached);
  if (!pv) return;
  const requestedText = cached.spec.resources?.requests?.storage ?? "";
  const requested = Quantity.parse(requestedText, "spec.resources.requests[storage]");
  const pvName = pv.metadata.name ?? "";

  // markControllerResizeInProgress: what we are growing to is recorded before the driver is asked.
  let claim = await updateStatus(ctx, cached, {
    ...cached.status,
    conditions: withConditions(cached, [resizing, controllerResizeError], [{ type: resizing, status: "True" }]),
    allocatedResources: { ...(cached.status?.allocatedResources ?? {}), storage: requestedText },
    allocatedResourceStatuses: {
      ...(cached.status?.allocatedResourceStatuses ?? {}),
      storage: "ControllerResizeInProgress",
    },
  });
  ctx.recorder.event(claim, "Normal", EventResizing, `External resizer is resizing volume ${pvName}`);

  let newSize = requested;
  // The trivial resizer (no EXPAND_VOLUME) leaves all the work to NodeExpandVolume.
  let nodeExpansionRequired = ctx.trivial;
  if (!ctx.trivial) {
    try {
      const response = await ctx.csi.controller.ControllerExpandVolume(
        {
          volume_id: pv.spec.csi?.volumeHandle ?? "",
          capacity_range: { required_bytes: Number(requested.value) },
          volume_capability: volumeCapability(pv.spec, ctx.supportsSingleNodeMultiWriter),
          secrets: await expandSecrets(ctx, pv),
        },
        { timeoutMs: ctx.timeoutMs, signal: ctx.signal },
      );
      if (Number(response.capacity_bytes) > 0) newSize = Quantity.fromValue(BigInt(response.capacity_bytes));
      if (newSize.cmp(requested) < 0) newSize = requested;
      nodeExpansionRequired = response.node_expansion_required;
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      const message = `resize volume "${pvName}" by resizer "${ctx.driverName}" failed: ${grpcErrorText(err)}`;
      ctx.recorder.event(claim, "Warning", EventVolumeResizeFailed, message);
      // markControllerExpansionFailed: a final error makes the size infeasible until the user changes the request
      // (RecoverVolumeExpansionFailure: lowering it to anything above the old capacity is retried).
      const final = !(err instanceof CsiError) || !transientCodes.has(err.code);
      await updateStatus(ctx, claim, {
        ...claim.status,
        conditions: withConditions(
          claim,
          [resizing, controllerResizeError],
          [{ type: controllerResizeError, status: "True", message }],
        ),
        allocatedResourceStatuses: {
          ...(claim.status?.allocatedResourceStatuses ?? {}),
          storage: final ? "ControllerResizeInfeasible" : "ControllerResizeInProgress",
        },
      }).catch((statusErr: unknown) =>
        ctx.log("recording the failed expansion failed", { err: grpcErrorText(statusErr) }),
      );
      throw new ResizeFailedError(message);
    }
  }

  // updatePVCapacity: the PV now says how big the volume is.
  const current = ctx.volumes.get(pvName) ?? pv;
  const currentSize = storageOf(current.spec.capacity?.storage, "spec.capacity[storage]");
  if (!currentSize || currentSize.cmp(newSize) < 0) {
    await ctx.client.persistentVolumes.patch(pvName, "merge", { spec: { capacity: { storage: newSize.toString() } } });
  }

  if (nodeExpansionRequired) {
    // markForPendingNodeExpansion: the node agent finishes with NodeExpandVolume and sets status.capacity.
    claim = await updateStatus(ctx, claim, {
      ...claim.status,
      conditions: withConditions(
        claim,
        [resizing, fsResizePending, controllerResizeError],
        [{ type: fsResizePending, status: "True", message: fsResizePendingMessage }],
      ),
      allocatedResourceStatuses: { ...(claim.status?.allocatedResourceStatuses ?? {}), storage: "NodeResizePending" },
    });
    ctx.recorder.event(claim, "Normal", EventFileSystemResizeRequired, "Require file system resize of volume on node");
    return;
  }
  // markOverallExpansionAsFinished.
  claim = await updateStatus(ctx, claim, {
    ...claim.status,
    capacity: { ...(claim.status?.capacity ?? {}), storage: newSize.toString() },
    conditions: withConditions(claim, [resizing, fsResizePending, controllerResizeError], []),
    allocatedResourceStatuses: withoutStorageStatus(claim),
  });
  ctx.recorder.event(claim, "Normal", EventVolumeResizeSuccess, "Resize volume succeeded");
}

/** controllerExpandSecretRef's data, as strings (upstream getCredentials); a missing secret fails the expansion. */
async function expandSecrets(ctx: ResizerContext, pv: PersistentVolume): Promise<Record<string, string>> {
  const ref = pv.spec.csi?.controllerExpandSecretRef;
  if (!ref?.name) return {};
  const secret = await ctx.client.secrets.get(ref.namespace ?? "", ref.name).catch((err: unknown) => {
    throw new Error(`failed to get secret ${ref.namespace ?? ""}/${ref.name}: ${grpcErrorText(err)}`);
  });
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(secret.data ?? {})) out[key] = Buffer.from(value, "base64").toString();
  for (const [key, value] of Object.entries(secret.stringData ?? {})) out[key] = value;
  return out;
}

/** ControllerExpandVolume failed; the claim got a VolumeResizeFailed event and the key is retried with backoff. */
export class ResizeFailedError extends Error {
  override name = "ResizeFailedError";
}
