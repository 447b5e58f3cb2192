// Inline (ephemeral) volumes, as csi-driver-host-path serves them: the kubelet publishes a pod's spec.volumes[].csi
// with no CreateVolume before it and no staging, saying so with `csi.storage.k8s.io/ephemeral: "true"` in the
// volume context. NodePublishVolume then makes the volume under the id the kubelet chose; NodeUnpublishVolume of its
// last target deletes it, as the volume lives exactly as long as the pod.
import { Quantity, QuantityError } from "../../../api/quantity.js";
import { Code, CsiError } from "../../errors.js";
import type { HostpathContext } from "./context.js";
import type { VolumeRecord } from "./state.js";
import { sizeOf } from "./volumes.js";

/** The volume context key the kubelet sets for inline volumes (with podInfoOnMount; "false" for persistent ones). */
export const ephemeralContextKey = "csi.storage.k8s.io/ephemeral";
/** The volume attribute that sizes an inline volume, as a Kubernetes quantity ("1Gi"). */
export const ephemeralSizeAttribute = "size";
/** csi-driver-host-path's fixed size for inline volumes: 100Mi. */
export const DEFAULT_EPHEMERAL_SIZE = 100 * 1024 * 1024;

export const isEphemeralRequest = (context: Record<string, string>): boolean => context[ephemeralContextKey] === "true";

function requestedSize(context: Record<string, string>): number {
  const text = context[ephemeralSizeAttribute];
  if (text === undefined) return DEFAULT_EPHEMERAL_SIZE;
  try {
    const bytes = Number(Quantity.parse(text, `volume_context.${ephemeralSizeAttribute}`).value);
    if (bytes > 0) return bytes;
  } catch (err) {
    if (!(err instanceof QuantityError)) throw err;
  }
  throw new CsiError(
    Code.INVALID_ARGUMENT,
    `volume_context.${ephemeralSizeAttribute}: ${JSON.stringify(text)} is not a positive quantity such as "100Mi"`,
  );
}

/**
 * The inline volume `id`, made now when it does not exist yet (a retried publish finds it). Called under the
 * volume's lock. A persistent volume of that id is not ours to take over.
 */
export async function ensureEphemeralVolume(
  ctx: HostpathContext,
  id: string,
  context: Record<string, string>,
): Promise<VolumeRecord> {
  const existing = ctx.state.state.volumes[id];
  if (existing) {
    if (!existing.ephemeral) {
      throw new CsiError(Code.ALREADY_EXISTS, `volume ${id} exists and is not an ephemeral (inline) volume`);
    }
    return existing;
  }
  // The id names a directory here, and this time it is the CO's choice, not ours: one plain path segment only.
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(id) || id.length > 128) {
    throw new CsiError(Code.INVALID_ARGUMENT, `volume_id: ${JSON.stringify(id)} is not a valid inline volume id`);
  }
  const size = sizeOf(ctx, { requiredBytes: requestedSize(context), limitBytes: 0 }, 0);
  // A crash between this mkdir and the record leaves the empty directory: a retry takes it over.
  await ctx.storage.createVolumeDir(id).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== "EEXIST") throw err;
  });
  const volume: VolumeRecord = {
    id,
    name: `ephemeral-${id}`,
    seq: ctx.state.takeSeq(),
    capacityBytes: size,
    requiredBytes: size,
    limitBytes: 0,
    parameters: {},
    createdAt: Date.now(),
    publishedNodes: {},
    staged: {},
    targets: {},
    ephemeral: true,
  };
  ctx.state.putVolume(volume);
  await ctx.state.save({ volume: id });
  return volume;
}

/** After NodeUnpublishVolume: an inline volume published nowhere any more is deleted, record first. */
export async function deleteIfUnpublished(ctx: HostpathContext, volume: VolumeRecord): Promise<void> {
  if (!volume.ephemeral || Object.keys(volume.targets).length > 0) return;
  ctx.state.removeVolume(volume.id);
  await ctx.state.save({ volume: volume.id });
  await ctx.storage.removeVolumeDir(volume.id);
}
