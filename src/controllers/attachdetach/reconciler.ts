// The attach-detach reconciler (upstream pkg/controller/volume/attachdetach/reconciler), one volume at a time:
// compares the nodes that need the volume (desired.ts) with its VolumeAttachments (the actual state: the API is
// our only memory, so a restarted controller picks up exactly where the last one stopped) and takes the steps
// between them: detach first, then attach, never a second node for a single-attach volume. The attacher sidecar
// does the CSI work and reports back in the VolumeAttachment's status.
import type { Node, PersistentVolume, Pod } from "../../api/core/types.js";
import type { VolumeAttachment } from "../../api/storage/types.js";
import {
  EventFailedAttachVolume,
  EventSuccessfulAttachVolume,
  EventTypeNormal,
  EventTypeWarning,
  TaintNodeOutOfService,
} from "../../api/wellknown.js";
import { isAlreadyExists, type EventRecorder, type EventType } from "../../client/index.js";
import { desiredNodes, type DesiredContext } from "./desired.js";
import { attachmentName } from "../../api/storage/attachmentnames.js";
import { detachWhenSafe, inUseOnNode, type NodeStatusContext } from "./nodestatus.js";
import { multiAttachAllowed, multiAttachMessage, volumeMessage } from "./names.js";
import { attachStarted } from "./metrics.js";

/** VolumeAttachments by spec.source.persistentVolumeName, and by spec.nodeName. */
export const attachmentsByVolume = "attachdetach-volume";

export interface ReconcilerContext extends DesiredContext, NodeStatusContext {
  recorder: EventRecorder;
  /** Events already recorded, so a resync does not repeat them (upstream keeps such flags in its caches). */
  reported: Set<string>;
  /** When each attachment was first found unneeded but still in use (upstream's DetachRequestedTime). */
  detachRequested: Map<string, number>;
  now(): number;
  requeueAfter(volumeName: string, delayMs: number): void;
}

/** Moves one volume's attachments one round toward what its pods need. Safe to run any number of times. */
export async function syncVolume(ctx: ReconcilerContext, volumeName: string): Promise<void> {
  const volume = ctx.volumes.get(volumeName);
  const attachments = ctx.attachments
    .byIndex(attachmentsByVolume, volumeName)
    .filter((attachment) => ctx.managed.has(attachment.metadata.name ?? ""));
  const wanted = volume ? desiredNodes(ctx, volume) : new Map<string, Pod[]>();

  // Detach: an attachment no pod on its node needs, once that node says it stopped using the volume
  // (status.volumesInUse, written by the node agent after unmounting). Detaching under a mounted filesystem
  // would lose data, so until then we wait; the Node's update brings us back.
  // The exceptions are upstream's: a node tainted out-of-service, or one not Ready for maxWaitForUnmount
  // (6 minutes) since the detach was first wanted, is not coming back to unmount.
  for (const attachment of attachments) {
    const key = attachment.metadata.name ?? "";
    if (wanted.has(attachment.spec.nodeName) || attachment.metadata.deletionTimestamp) {
      ctx.detachRequested.delete(key);
      continue;
    }
    const node = ctx.nodes.get(attachment.spec.nodeName);
    let verify = Boolean(volume?.spec.csi) && !outOfService(node);
    if (verify && volume && inUseOnNode(node, volume)) {
      const since = ctx.detachRequested.get(key) ?? ctx.now();
      ctx.detachRequested.set(key, since);
      const waited = ctx.now() - since;
      if (nodeReady(node) || waited < maxWaitForUnmountMs) {
        // Come back when the wait runs out (a Node update may bring us back sooner).
        if (!nodeReady(node)) ctx.requeueAfter(volumeName, maxWaitForUnmountMs - waited);
        continue;
      }
      verify = false;
    }
    if (await detachWhenSafe(ctx, attachment, volume, verify)) ctx.detachRequested.delete(key);
    else if (!ctx.detachRequested.has(key)) ctx.detachRequested.set(key, ctx.now());
  }
  if (!volume?.spec.csi || wanted.size === 0) return;

  const source = volume.spec.csi;
  const exclusive = !multiAttachAllowed(volume);
  const name = volume.metadata.name ?? "";
  // Nodes that hold (or are getting) this volume: any attachment, even one being detached, still holds it.
  const holders = new Set(attachments.map((a) => a.spec.nodeName));
  for (const [nodeName, pods] of wanted) {
    const existing = attachments.find((a) => a.spec.nodeName === nodeName);
    if (existing) {
      // Being detached while a pod here wants it again: the deletion finishes first (the attacher unpublishes),
      // and its delete event brings us back to attach afresh.
      if (!existing.metadata.deletionTimestamp) reportAttachResult(ctx, volume, existing, pods);
      continue;
    }
    if (exclusive && holders.size > 0) {
      reportMultiAttach(ctx, volume, nodeName, pods, holders, wanted);
      continue;
    }
    const attachment: VolumeAttachment = {
      apiVersion: "storage.k8s.io/v1",
      kind: "VolumeAttachment",
      metadata: { name: attachmentName(source.volumeHandle, source.driver, nodeName) },
      spec: { attacher: source.driver, nodeName, source: { persistentVolumeName: name } },
    };
    try {
      await ctx.client.volumeAttachments.create(attachment);
      attachStarted(attachment.metadata.name ?? "");
    } catch (err) {
      // Created by us a moment ago (the cache has not seen it yet) or by a previous run: the same object.
      if (!isAlreadyExists(err)) throw err;
    }
    ctx.managed.add(attachment.metadata.name ?? "");
    holders.add(nodeName);
  }
}

/** reconciler.go maxWaitForUnmountDuration: how long a detach waits for an unhealthy node to unmount. */
export const maxWaitForUnmountMs = 6 * 60_000;

/** nodeutil.IsNodeReady: a Ready condition with status True. */
function nodeReady(node: Node | undefined): boolean {
  return node?.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
}

/** The node.kubernetes.io/out-of-service taint (NoExecute or NoSchedule): the node will not unmount anything. */
function outOfService(node: Node | undefined): boolean {
  return node?.spec?.taints?.some((taint) => taint.key === TaintNodeOutOfService) ?? false;
}

/**
 * Upstream reports on each pod: SuccessfulAttachVolume once the attach finished ("AttachVolume.Attach succeeded
 * for volume "<pv>" ", trailing space and all), FailedAttachVolume with the attacher's error when it failed.
 * We learn both from the VolumeAttachment's status, so each is recorded once per pod and attach attempt.
 */
function reportAttachResult(
  ctx: ReconcilerContext,
  volume: PersistentVolume,
  attachment: VolumeAttachment,
  pods: Pod[],
) {
  const status = attachment.status;
  const name = volume.metadata.name ?? "";
  const outcome: { keyOf: typeof attachedKey; type: EventType; reason: string; message: string } | undefined =
    status?.attached
      ? {
          keyOf: attachedKey,
          type: EventTypeNormal,
          reason: EventSuccessfulAttachVolume,
          message: volumeMessage("AttachVolume.Attach succeeded", name, ""),
        }
      : status?.attachError?.message
        ? {
            keyOf: failedKey,
            type: EventTypeWarning,
            reason: EventFailedAttachVolume,
            message: volumeMessage("AttachVolume.Attach failed", name, `: ${status.attachError.message}`),
          }
        : undefined;
  if (!outcome) return;
  for (const pod of pods) {
    const key = outcome.keyOf(attachment, pod);
    if (ctx.reported.has(key)) continue;
    ctx.reported.add(key);
    ctx.recorder.event(pod, outcome.type, outcome.reason, outcome.message);
  }
}

/**
 * A single-attach volume held by another node: a Warning FailedAttachVolume on each pod that waits for it, naming
 * the pods on the other node(s) that use it, once per pod (upstream's MultiAttachErrorReported flag). No second
 * VolumeAttachment is made; when the other node lets go, the attachment's delete event brings us back.
 */
function reportMultiAttach(
  ctx: ReconcilerContext,
  volume: PersistentVolume,
  nodeName: string,
  pods: Pod[],
  holders: Set<string>,
  wanted: Map<string, Pod[]>,
) {
  const blocking = [...holders]
    .filter((holder) => holder !== nodeName)
    .flatMap((holder) => wanted.get(holder) ?? [])
    .map((pod) => ({ namespace: pod.metadata.namespace ?? "", name: pod.metadata.name ?? "" }));
  for (const pod of pods) {
    const key = `multiattach/${volume.metadata.name}/${nodeName}/${pod.metadata.uid}`;
    if (ctx.reported.has(key)) continue;
    ctx.reported.add(key);
    const message = multiAttachMessage(volume.metadata.name ?? "", pod.metadata.namespace ?? "", blocking);
    ctx.recorder.event(pod, EventTypeWarning, EventFailedAttachVolume, message);
  }
}

const attachedKey = (attachment: VolumeAttachment, pod: Pod) =>
  `attached/${attachment.metadata.uid}/${pod.metadata.uid}`;
const failedKey = (attachment: VolumeAttachment, pod: Pod) =>
  `failed/${attachment.metadata.uid}/${pod.metadata.uid}/${attachment.status?.attachError?.time ?? ""}`;

/**
 * At start (only then: upstream's processVolumeAttachments), the actual state from the API: every attachment of a
 * CSI volume that exists becomes ours to keep or detach, whoever made it; and what those attachments say was
 * already reported by the controller that ran before us, so a restart does not repeat the events.
 */
export function primeActualState(ctx: ReconcilerContext): void {
  for (const attachment of ctx.attachments.list()) {
    const volume = ctx.volumes.get(attachment.spec.source.persistentVolumeName ?? "");
    if (!volume?.spec.csi) continue;
    ctx.managed.add(attachment.metadata.name ?? "");
    for (const pod of desiredNodes(ctx, volume).get(attachment.spec.nodeName) ?? []) {
      if (attachment.status?.attached) ctx.reported.add(attachedKey(attachment, pod));
      else if (attachment.status?.attachError) ctx.reported.add(failedKey(attachment, pod));
    }
  }
}

/** An attachment that is gone is no longer ours; if a pod needs the volume again, we make a new one. */
export function forgetAttachment(ctx: ReconcilerContext, attachment: VolumeAttachment): void {
  // The delete handler runs after the cache dropped it; a same-named one already back in the cache stays ours.
  const name = attachment.metadata.name ?? "";
  if (!ctx.attachments.get(name)) ctx.managed.delete(name);
}

/** Drops what `reported` remembers about a pod that is gone, so memory stays bounded. */
export function forgetPod(ctx: ReconcilerContext, uid: string | undefined): void {
  if (!uid) return;
  for (const key of ctx.reported) if (key.endsWith(`/${uid}`) || key.includes(`/${uid}/`)) ctx.reported.delete(key);
}
