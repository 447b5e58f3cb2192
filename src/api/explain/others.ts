// Why a PersistentVolume, a VolumeAttachment, a VolumeSnapshot or a StatefulSet does not move: each short chain,
// handing over to the claim's or the pod's verdict where that is what it waits on.
import type { StatefulSet } from "../apps/types.js";
import type { PersistentVolume } from "../core/types.js";
import type { VolumeSnapshot } from "../snapshot/types.js";
import type { VolumeAttachment } from "../storage/types.js";
import { EventFailedCreate, EventVolumeFailedDelete } from "../wellknown.js";
import { explainClaim } from "./claim.js";
import { driverIsKnown, lastEvent, named, nodeIsReady, type ClusterObjects } from "./cluster.js";
import { attacherMissing } from "./podvolumes.js";
import { explainPod } from "./pod.js";
import { Verdict, type Explanation } from "./verdict.js";

export function explainVolume(cluster: ClusterObjects, volume: PersistentVolume): Verdict {
  const name = volume.metadata.name ?? "";
  const phase = volume.status?.phase ?? "Pending";
  const verdict = new Verdict("PersistentVolume", name, undefined, phase);
  const ref = volume.spec.claimRef;
  const claimKey = `${ref?.namespace ?? ""}/${ref?.name ?? ""}`;
  if (phase === "Available") {
    if (ref) {
      const claim = named(cluster.claims, ref.name ?? "", ref.namespace);
      if (!claim) {
        return verdict.waiting(
          "binding",
          "ClaimNotFound",
          `pre-bound to claim ${claimKey}, which does not exist yet`,
          `create claim ${claimKey}, or remove spec.claimRef`,
        );
      }
      return verdict.waiting(
        "binding",
        "PreBound",
        `pre-bound to claim ${claimKey}: the binder binds them`,
        `run: stowage explain pvc/${ref.name ?? ""} -n ${ref.namespace ?? ""}`,
      );
    }
    return verdict.waiting(
      "binding",
      "Available",
      "Available: no claim has taken it yet",
      "create a claim that fits it (size, access modes, volume mode, class, labels)",
    );
  }
  if (phase === "Bound") {
    verdict.done("binding", `bound to claim ${claimKey}`);
    const attachments = cluster.volumeAttachments.filter((va) => va.spec.source.persistentVolumeName === name);
    for (const va of attachments)
      verdict.see(
        "VolumeAttachment",
        va.metadata.name ?? "",
        `node ${va.spec.nodeName}, attached=${String(va.status?.attached ?? false)}`,
      );
    verdict.state = `Bound to ${claimKey}`;
    return verdict;
  }
  if (phase === "Released") {
    verdict.done("binding", `released by claim ${claimKey}`);
    const failed = lastEvent(cluster, volume, EventVolumeFailedDelete);
    if (volume.spec.persistentVolumeReclaimPolicy === "Retain" || !volume.spec.persistentVolumeReclaimPolicy) {
      return verdict.block(
        "reclaim",
        "Retained",
        `its claim ${claimKey} is gone and the reclaim policy is Retain: the volume keeps its data and waits for an administrator`,
        `recover the data, then delete the volume; or remove spec.claimRef (kubectl patch pv ${name} --type json -p '[{"op":"remove","path":"/spec/claimRef"}]') to make it Available again`,
      );
    }
    if (failed)
      return verdict.block(
        "reclaim",
        "VolumeFailedDelete",
        failed.message ?? "",
        "fix what the message names; deletion is retried",
      );
    return verdict.waiting(
      "reclaim",
      "Reclaiming",
      `its claim ${claimKey} is gone: the ${volume.spec.persistentVolumeReclaimPolicy} policy is being applied`,
      "nothing yet",
    );
  }
  if (phase === "Failed") {
    return verdict.block(
      "reclaim",
      "VolumeFailed",
      volume.status?.message ?? "reclaiming the volume failed",
      "fix what the message names, then delete the volume (and its backing storage by hand if needed)",
    );
  }
  return verdict.waiting(
    "binding",
    "Pending",
    "Pending: not yet checked by the binder",
    "nothing yet: the controller-manager checks new volumes",
  );
}

export function explainAttachment(cluster: ClusterObjects, attachment: VolumeAttachment): Verdict {
  const name = attachment.metadata.name ?? "";
  const nodeName = attachment.spec.nodeName;
  const verdict = new Verdict(
    "VolumeAttachment",
    name,
    undefined,
    attachment.status?.attached ? "Attached" : "Not attached",
  );
  const volumeName = attachment.spec.source.persistentVolumeName ?? "(inline)";
  if (attachment.status?.detachError) {
    return verdict.block(
      "attach",
      "DetachFailed",
      `DetachVolume.Detach failed for volume "${volumeName}" : ${attachment.status.detachError.message ?? ""}`,
      "fix what the driver says; the csi-attacher retries with backoff",
    );
  }
  if (attachment.metadata.deletionTimestamp) {
    return verdict.waiting(
      "attach",
      "Detaching",
      `being detached from node ${nodeName}`,
      "nothing yet: the csi-attacher detaches it",
    );
  }
  if (attachment.status?.attached) return verdict.done("attach", `volume ${volumeName} attached to node ${nodeName}`);
  const node = named(cluster.nodes, nodeName);
  if (!node || !nodeIsReady(node)) {
    verdict.see("Node", nodeName, node ? "not Ready" : "not found");
  }
  if (attachment.status?.attachError) {
    return verdict.block(
      "attach",
      "AttachFailed",
      `AttachVolume.Attach failed for volume "${volumeName}" : ${attachment.status.attachError.message ?? ""}`,
      `fix what the driver says; the csi-attacher of ${attachment.spec.attacher} retries with backoff`,
    );
  }
  if (!driverIsKnown(cluster, attachment.spec.attacher)) {
    return attacherMissing(attachment.spec.attacher, volumeName, verdict);
  }
  return verdict.waiting(
    "attach",
    "Attaching",
    `waiting for the csi-attacher of ${attachment.spec.attacher} to attach ${volumeName} to node ${nodeName}`,
    `if it lasts, check that the csi-attacher of ${attachment.spec.attacher} runs`,
  );
}

export function explainSnapshot(cluster: ClusterObjects, snapshot: VolumeSnapshot): Verdict {
  const name = snapshot.metadata.name ?? "";
  const namespace = snapshot.metadata.namespace ?? "";
  const verdict = new Verdict(
    "VolumeSnapshot",
    name,
    namespace,
    snapshot.status?.readyToUse ? "ReadyToUse" : "Not ready",
  );
  const sourceClaim = snapshot.spec.source.persistentVolumeClaimName;
  if (sourceClaim) {
    const claim = named(cluster.claims, sourceClaim, namespace);
    if (!claim) {
      return verdict.block(
        "snapshot",
        "SourceClaimNotFound",
        `the source claim ${sourceClaim} does not exist`,
        `create claim ${sourceClaim}, or snapshot a claim that exists`,
      );
    }
    if (claim.status?.phase !== "Bound") {
      return verdict.block(
        "binding",
        "SourceClaimNotBound",
        `the source claim ${sourceClaim} is not Bound: ${explainClaim(cluster, claim).blocking?.message ?? "Pending"}`,
        `run: stowage explain pvc/${sourceClaim} -n ${namespace}`,
      );
    }
    verdict.done("binding", `source claim ${sourceClaim} is Bound to ${claim.spec.volumeName ?? ""}`);
  }
  const className = snapshot.spec.volumeSnapshotClassName;
  if (className && !named(cluster.volumeSnapshotClasses, className)) {
    return verdict.block(
      "class",
      "SnapshotClassNotFound",
      `volumesnapshotclass.snapshot.storage.k8s.io "${className}" not found`,
      `create VolumeSnapshotClass ${className}, or re-create the snapshot with an existing class`,
    );
  }
  if (
    !className &&
    sourceClaim &&
    !cluster.volumeSnapshotClasses.some(
      (c) => c.metadata.annotations?.["snapshot.storage.kubernetes.io/is-default-class"] === "true",
    )
  ) {
    return verdict.block(
      "class",
      "NoDefaultSnapshotClass",
      "the snapshot names no class and no VolumeSnapshotClass is marked default",
      'set spec.volumeSnapshotClassName, or mark a class snapshot.storage.kubernetes.io/is-default-class: "true"',
    );
  }
  verdict.done("class", className ? `VolumeSnapshotClass ${className}` : "the default VolumeSnapshotClass");
  // The source and class first: the snapshot controller's own error repeats a missing or unbound claim in its words.
  if (snapshot.status?.error?.message) {
    return verdict.block(
      "snapshot",
      "SnapshotError",
      snapshot.status.error.message,
      "fix what the message names; the snapshotter retries",
    );
  }
  if (snapshot.status?.readyToUse)
    return verdict.done("snapshot", `ready to use (content ${snapshot.status.boundVolumeSnapshotContentName ?? ""})`);
  const content = snapshot.status?.boundVolumeSnapshotContentName;
  return verdict.waiting(
    "snapshot",
    "SnapshotCreating",
    content
      ? `waiting for the csi-snapshotter to cut snapshot content ${content}`
      : "waiting for the snapshot controller to create its VolumeSnapshotContent",
    "nothing yet; if it lasts, check that the csi-snapshotter of the class's driver runs",
  );
}

export function explainStatefulSet(cluster: ClusterObjects, set: StatefulSet): Verdict {
  const name = set.metadata.name ?? "";
  const namespace = set.metadata.namespace ?? "";
  const replicas = set.spec.replicas ?? 1;
  const ready = set.status?.readyReplicas ?? 0;
  const verdict = new Verdict("StatefulSet", name, namespace, `${ready}/${replicas} ready`);
  const start = set.spec.ordinals?.start ?? 0;
  for (let ordinal = start; ordinal < start + replicas; ordinal++) {
    const podName = `${name}-${ordinal}`;
    const pod = named(cluster.pods, podName, namespace);
    if (!pod) {
      const failed = lastEvent(cluster, set, EventFailedCreate);
      if (failed)
        return verdict.block(
          "pods",
          "FailedCreate",
          failed.message ?? "",
          "fix what the message names; the controller retries",
        );
      return verdict.waiting(
        "pods",
        "CreatingPod",
        `pod ${podName} does not exist yet`,
        "nothing yet: the StatefulSet controller creates pods in order",
      );
    }
    const inner = explainPod(cluster, pod).result();
    if (inner.blocking) return handOver(verdict, inner, podName);
    verdict.done("pods", `pod ${podName}: ${inner.state}`);
  }
  return verdict;
}

/** The set waits on one pod: that pod's blocking step and reason, said of the pod. */
function handOver(verdict: Verdict, inner: Explanation, podName: string): Verdict {
  for (const e of inner.evidence) verdict.see(e.kind, e.name, e.says, e.namespace);
  verdict.candidates = inner.candidates;
  const blocking = inner.blocking;
  if (!blocking) return verdict;
  const message = `pod ${podName}: ${blocking.message}`;
  const waiting = inner.chain.some((l) => l.step === blocking.step && l.state === "waiting");
  return waiting
    ? verdict.waiting(blocking.step, blocking.reason, message, blocking.fix)
    : verdict.block(blocking.step, blocking.reason, message, blocking.fix);
}
