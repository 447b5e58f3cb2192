// The expand controller's one look at one claim (upstream expand_controller.go syncHandler); wiring: controller.ts.
import type { PersistentVolume, PersistentVolumeClaim } from "../../api/core/types.js";
import { claimCapacity, claimRequest } from "../../api/storagerules/capacity.js";
import { EventExternalExpanding } from "../../api/wellknown.js";
import { isNotFound, type Client, type EventRecorder, type Lister } from "../../client/index.js";

export const externalExpandingMessage = "waiting for an external controller to expand this PVC";

export interface ExpandSync {
  client: Client;
  claims: Lister<PersistentVolumeClaim>;
  recorder: EventRecorder;
}

/** Thrown when the claim's volume does not point back at it; the key is retried with backoff, as upstream. */
export class VolumeNotBoundError extends Error {
  override name = "VolumeNotBoundError";
}

/** upstream syncHandler: one look at one claim. */
export async function syncClaim(ctx: ExpandSync, key: string): Promise<void> {
  const { client, recorder } = ctx;
  const claim = ctx.claims.get(key);
  if (!claim) return;
  // Upstream reads the PV before comparing sizes; comparing first saves a GET per bound claim on every start (the
  // add handler queues them all) and changes nothing a user sees: without a grown request nothing is said either way.
  if (claimRequest(claim).cmp(claimCapacity(claim)) <= 0) return;
  // Upstream reads the PV from the apiserver, not a cache: a PV just bound must not look unbound.
  let volume: PersistentVolume;
  try {
    volume = await client.persistentVolumes.get(claim.spec.volumeName ?? "");
  } catch (err) {
    if (isNotFound(err) || !claim.spec.volumeName) {
      throw new VolumeNotBoundError(`failed to get PV "${claim.spec.volumeName ?? ""}": ${(err as Error).message}`);
    }
    throw err;
  }
  const ref = volume.spec.claimRef;
  if (!ref || ref.namespace !== claim.metadata.namespace || ref.uid !== claim.metadata.uid) {
    throw new VolumeNotBoundError(`persistent Volume is not bound to PVC being updated : ${key}`);
  }
  // No in-tree plugin here can expand a volume (upstream's remaining ones are Portworx and FC), so every volume —
  // CSI or in-tree (hostPath, local, nfs, …) — is left to an external controller. For CSI that is the csi-resizer of
  // the PV's driver; an in-tree volume simply stays at its size, as upstream. The event is Normal: since
  // kubernetes#124317 a volume that matches no expandable plugin is not an error (older releases said Warning).
  recorder.event(claim, "Normal", EventExternalExpanding, externalExpandingMessage);
}
