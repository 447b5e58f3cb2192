// Cutting a content's snapshot (external-snapshotter sidecar createSnapshotWrapper / checkandUpdateContentStatus).
// The handshake with deletion: before CreateSnapshot the content is marked
// snapshot.storage.kubernetes.io/volumesnapshot-being-created, and the mark goes only once the driver has answered
// for sure — success (after the status is written) or a final error. A timeout or a sidecar killed mid-call leaves
// it: the driver may still be cutting, so a deleted content waits (delete.ts) until a retry learns the outcome
// (CreateSnapshot is idempotent by name) instead of leaking a snapshot the driver finishes later.
import type { VolumeSnapshotClass, VolumeSnapshotContent } from "../../../api/snapshot/types.js";
import { AnnVolumeSnapshotBeingCreated } from "../../../api/wellknown.js";
import type { Client, EventRecorder, Lister } from "../../../client/index.js";
import type { CsiClient } from "../../client.js";
import { Code, CsiError, grpcErrorText } from "../../errors.js";
import { credentialsOf, CredentialsError } from "./credentials.js";

export interface SnapshotterContext {
  client: Client;
  csi: CsiClient;
  driverName: string;
  contents: Lister<VolumeSnapshotContent>;
  classes: Lister<VolumeSnapshotClass>;
  recorder: EventRecorder;
  timeoutMs: number;
}

/** upstream's --snapshot-name-prefix "snapshot" + the snapshot's uid: CreateSnapshot's idempotency key. */
export const snapshotNameFor = (content: VolumeSnapshotContent): string =>
  `snapshot-${content.spec.volumeSnapshotRef.uid ?? content.metadata.uid}`;

// The class parameters the sidecar consumes itself (utils.RemovePrefixedParameters); any other key in the reserved
// csi.storage.k8s.io/ namespace is refused rather than passed to the driver.
const sidecarParameters = new Set([
  "csi.storage.k8s.io/snapshotter-secret-name",
  "csi.storage.k8s.io/snapshotter-secret-namespace",
  "csi.storage.k8s.io/snapshotter-list-secret-name",
  "csi.storage.k8s.io/snapshotter-list-secret-namespace",
  "csi.storage.k8s.io/group-snapshotter-secret-name",
  "csi.storage.k8s.io/group-snapshotter-secret-namespace",
]);

/** A content that cannot be snapshotted as asked (its input, or the driver's answer); recorded, retried. */
export class SnapshotFailedError extends Error {
  override name = "SnapshotFailedError";
}

export function driverParameters(parameters: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(parameters ?? {})) {
    if (!key.startsWith("csi.storage.k8s.io/")) out[key] = value;
    else if (!sidecarParameters.has(key))
      throw new SnapshotFailedError(`found unknown parameter key "${key}" with reserved namespace csi.storage.k8s.io/`);
  }
  return out;
}

// util isCSIFinalError: these codes mean the driver may still be working on it.
const pendingCodes = new Set<number>([
  Code.CANCELLED,
  Code.DEADLINE_EXCEEDED,
  Code.UNAVAILABLE,
  Code.RESOURCE_EXHAUSTED,
  Code.ABORTED,
]);
const isFinal = (err: unknown) => err instanceof CsiError && !pendingCodes.has(err.code);

const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, "Z");

function withoutAnnotation(content: VolumeSnapshotContent, key: string): VolumeSnapshotContent {
  const copy = structuredClone(content);
  const annotations = { ...(content.metadata.annotations ?? {}) };
  delete annotations[key];
  copy.metadata.annotations = annotations;
  return copy;
}

/** Drops the being-created mark if present; returns the content as stored. */
export async function removeBeingCreated(
  ctx: SnapshotterContext,
  content: VolumeSnapshotContent,
): Promise<VolumeSnapshotContent> {
  if (!(AnnVolumeSnapshotBeingCreated in (content.metadata.annotations ?? {}))) return content;
  return ctx.client.volumeSnapshotContents.update(withoutAnnotation(content, AnnVolumeSnapshotBeingCreated));
}

/** Status error + Warning event on the content (upstream updateContentErrorStatusWithEvent). */
async function recordError(ctx: SnapshotterContext, content: VolumeSnapshotContent, reason: string, message: string) {
  ctx.recorder.event(content, "Warning", reason, message);
  if (content.status?.error?.message === message) return;
  const status = { ...(content.status ?? {}), readyToUse: false, error: { time: now(), message } };
  await ctx.client.volumeSnapshotContents.updateStatus({ ...structuredClone(content), status });
}

/**
 * CreateSnapshot (dynamic) or ListSnapshots (pre-provisioned) for one content and its status. Returns true when the
 * snapshot is not ready yet (look again). Throws after recording a failure, so the queue retries with backoff.
 */
export async function cutSnapshot(ctx: SnapshotterContext, cached: VolumeSnapshotContent): Promise<boolean> {
  let content = cached;
  const creating = !content.status?.snapshotHandle;
  const [reason, prefix] = creating
    ? ["SnapshotCreationFailed", "Failed to create snapshot"]
    : ["SnapshotContentCheckandUpdateFailed", "Failed to check and update snapshot content"];
  let snapshot;
  try {
    if (content.spec.source.volumeHandle) {
      let parameters: Record<string, string>;
      let secrets: Record<string, string>;
      try {
        const className = content.spec.volumeSnapshotClassName;
        const snapshotClass = className ? ctx.classes.get(className) : undefined;
        if (className && !snapshotClass)
          throw new SnapshotFailedError(`volumesnapshotclass.snapshot.storage.k8s.io "${className}" not found`);
        parameters = driverParameters(snapshotClass?.parameters);
        secrets = await credentialsOf(ctx.client, content);
      } catch (err) {
        if (err instanceof SnapshotFailedError || err instanceof CredentialsError) {
          throw new SnapshotFailedError(
            `failed to get input parameters to create snapshot for content ${content.metadata.name}: ${JSON.stringify(err.message)}`,
          );
        }
        throw err;
      }
      if (!(AnnVolumeSnapshotBeingCreated in (content.metadata.annotations ?? {}))) {
        const copy = structuredClone(content);
        copy.metadata.annotations = { ...(content.metadata.annotations ?? {}), [AnnVolumeSnapshotBeingCreated]: "yes" };
        content = await ctx.client.volumeSnapshotContents.update(copy);
      }
      try {
        const response = await ctx.csi.controller.CreateSnapshot(
          {
            name: snapshotNameFor(content),
            source_volume_id: content.spec.source.volumeHandle,
            parameters,
            secrets,
          },
          { timeoutMs: ctx.timeoutMs },
        );
        snapshot = response.snapshot;
      } catch (err) {
        // The driver said no for sure: nothing is being cut, so deletion need not wait any more.
        if (isFinal(err)) content = await removeBeingCreated(ctx, content);
        throw new SnapshotFailedError(
          `failed to take snapshot of the volume ${content.spec.source.volumeHandle}: ${JSON.stringify(grpcErrorText(err))}`,
        );
      }
    } else if (content.spec.source.snapshotHandle) {
      const response = await ctx.csi.controller.ListSnapshots(
        { snapshot_id: content.spec.source.snapshotHandle },
        { timeoutMs: ctx.timeoutMs },
      );
      snapshot = response.entries[0]?.snapshot;
      if (!snapshot) throw new SnapshotFailedError(`snapshot ${content.spec.source.snapshotHandle} not found`);
    } else return false;
  } catch (err) {
    const message = `${prefix}: ${err instanceof SnapshotFailedError ? err.message : grpcErrorText(err)}`;
    await recordError(ctx, content, reason, message).catch(() => undefined);
    throw err;
  }
  if (!snapshot) throw new Error("CreateSnapshot returned no snapshot");
  const seconds = Number(snapshot.creation_time?.seconds ?? 0);
  const status = {
    snapshotHandle: snapshot.snapshot_id,
    creationTime: seconds * 1e9 + (snapshot.creation_time?.nanos ?? 0),
    restoreSize: Number(snapshot.size_bytes),
    readyToUse: snapshot.ready_to_use,
  };
  content = await ctx.client.volumeSnapshotContents.updateStatus({ ...structuredClone(content), status });
  // The driver has it and the status says so: deletion may proceed from here on.
  await removeBeingCreated(ctx, content);
  return !snapshot.ready_to_use;
}
