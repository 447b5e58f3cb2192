// Why a Pod does not run: its claims → scheduling → node → attach → stage → publish → container. A pod stuck on
// a claim gets the claim's own verdict (the claim's step and reason), named as the claim's.
import type { PersistentVolumeClaim, Pod } from "../core/types.js";
import { podVolumeClaims } from "../core/ephemeral.js";
import { isDelayBindingMode, claimClass } from "../storagerules/class.js";
import { AnnSelectedNode, EventFailedScheduling } from "../wellknown.js";
import { explainClaim } from "./claim.js";
import { lastEvent, named, nodeIsReady, type ClusterObjects } from "./cluster.js";
import { explainPodVolumes } from "./podvolumes.js";
import { Verdict } from "./verdict.js";

/** What the scheduler's message says about storage, read as a reason (scheduler/volumebinding.ts, volumelimits.ts). */
const schedulingReasons: Array<[fragment: string, reason: string, fix: string]> = [
  [
    "exceed max volume count",
    "AttachLimitExceeded",
    "the nodes already hold as many volumes of this driver as their CSINode allows: move pods off a node, or add nodes",
  ],
  [
    "had volume node affinity conflict",
    "VolumeNodeAffinityConflict",
    "the pod's bound volumes can only be used on nodes their nodeAffinity admits: let the pod run there (nodeSelector, taints) or use other volumes",
  ],
  [
    "didn't find available persistent volumes to bind",
    "NoMatchingVolume",
    "create a PersistentVolume that fits the claim on a node the pod may use (see the claim's candidates)",
  ],
  [
    "did not have enough free storage",
    "NotEnoughCapacity",
    "free space on the driver's storage, ask for less, or add nodes with storage for the class",
  ],
];

export function explainPod(cluster: ClusterObjects, pod: Pod): Verdict {
  const name = pod.metadata.name ?? "";
  const namespace = pod.metadata.namespace ?? "";
  const verdict = new Verdict("Pod", name, namespace, pod.status?.phase ?? "Pending");
  if (pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed") {
    return verdict.done("container", `the pod has finished (${pod.status.phase})`);
  }
  if (pod.metadata.deletionTimestamp) verdict.state = "Terminating";
  const claims: PersistentVolumeClaim[] = [];
  for (const { claimName, ephemeral } of podVolumeClaims(pod)) {
    const claim = named(cluster.claims, claimName, namespace);
    if (!claim) {
      return verdict.block(
        "binding",
        ephemeral ? "EphemeralClaimNotCreated" : "ClaimNotFound",
        ephemeral
          ? `waiting for ephemeral volume controller to create the persistentvolumeclaim "${claimName}"`
          : `persistentvolumeclaim "${claimName}" not found`,
        ephemeral
          ? "check that the controller-manager runs (its ephemeral-volume loop creates the claim)"
          : `create PersistentVolumeClaim ${claimName} in namespace ${namespace}, or fix the pod's claimName`,
      );
    }
    if (claim.metadata.deletionTimestamp) {
      return verdict.block(
        "binding",
        "ClaimBeingDeleted",
        `persistentvolumeclaim "${claimName}" is being deleted`,
        `re-create claim ${claimName} once it is gone, or point the pod at another claim`,
      );
    }
    claims.push(claim);
  }
  if (!pod.spec.nodeName) return explainUnscheduled(cluster, pod, claims, verdict);
  const nodeName = pod.spec.nodeName;
  verdict.state = `${pod.status?.phase ?? "Pending"} on ${nodeName}`;
  verdict.done("scheduling", `scheduled to node ${nodeName}`);
  const node = named(cluster.nodes, nodeName);
  if (!node || !nodeIsReady(node)) {
    const ready = node?.status?.conditions?.find((c) => c.type === "Ready");
    if (ready)
      verdict.see("Node", nodeName, `Ready=${ready.status} ${ready.reason ?? ""} ${ready.message ?? ""}`.trim());
    return verdict.block(
      "node",
      node ? "NodeNotReady" : "NodeNotFound",
      node ? `node ${nodeName} is not Ready: its agent does not report` : `node ${nodeName} does not exist`,
      node
        ? `bring node ${nodeName}'s agent back (stowage node …), or delete the pod so that its controller re-creates it elsewhere`
        : "delete the pod so that its controller re-creates it on a node that exists",
    );
  }
  verdict.done("node", `node ${nodeName} is Ready`);
  for (const claim of claims) {
    if (claim.status?.phase === "Bound") continue;
    return borrow(verdict, explainClaim(cluster, claim), claim);
  }
  return explainPodVolumes(cluster, pod, claims, verdict);
}

/** The pod waits on one of its claims: that claim's blocking step, reason and evidence, said of the claim. */
function borrow(verdict: Verdict, inner: Verdict, claim: PersistentVolumeClaim): Verdict {
  for (const link of inner.chain)
    if (link.state === "done") verdict.done(link.step, `claim ${claim.metadata.name ?? ""}: ${link.message}`);
  for (const e of inner.evidence) verdict.see(e.kind, e.name, e.says, e.namespace);
  verdict.candidates = inner.candidates;
  const blocking = inner.blocking;
  if (!blocking)
    return verdict.waiting(
      "binding",
      "ClaimPending",
      `claim ${claim.metadata.name ?? ""} is not Bound yet`,
      "nothing yet",
    );
  const message = `claim ${claim.metadata.name ?? ""}: ${blocking.message}`;
  const stopped = inner.chain.find((link) => link.step === blocking.step && link.state !== "done");
  return stopped?.state === "waiting"
    ? verdict.waiting(blocking.step, blocking.reason, message, blocking.fix)
    : verdict.block(blocking.step, blocking.reason, message, blocking.fix);
}

function explainUnscheduled(cluster: ClusterObjects, pod: Pod, claims: PersistentVolumeClaim[], verdict: Verdict) {
  const delayed = (claim: PersistentVolumeClaim) => isDelayBindingMode(claim, (n) => named(cluster.storageClasses, n));
  // The scheduler waits for immediate claims to bind before it places the pod ("pod has unbound immediate …").
  const immediate = claims.find((c) => c.status?.phase !== "Bound" && !delayed(c));
  if (immediate) return borrow(verdict, explainClaim(cluster, immediate), immediate);
  // A node is chosen (selected-node) and the pod waits for the claim to be provisioned there (WaitForVolumeBinding).
  const provisioning = claims.find((c) => c.status?.phase !== "Bound" && c.metadata.annotations?.[AnnSelectedNode]);
  if (provisioning) return borrow(verdict, explainClaim(cluster, provisioning), provisioning);
  for (const claim of claims) {
    const state =
      claim.status?.phase === "Bound" ? `Bound to ${claim.spec.volumeName ?? ""}` : "Pending (WaitForFirstConsumer)";
    verdict.done("binding", `claim ${claim.metadata.name ?? ""}: ${state}`);
  }
  const condition = pod.status?.conditions?.find((c) => c.type === "PodScheduled" && c.status === "False");
  const event = lastEvent(cluster, pod, EventFailedScheduling);
  const message = condition?.message ?? event?.message;
  if (event)
    verdict.see(
      "Event",
      event.metadata.name ?? "",
      `${event.reason ?? ""}: ${event.message ?? ""}`,
      event.metadata.namespace,
    );
  if (!message) {
    return verdict.waiting(
      "scheduling",
      "Scheduling",
      "waiting for the scheduler to place the pod",
      "check that the scheduler runs if this lasts",
    );
  }
  const known = schedulingReasons.find(([fragment]) => message.includes(fragment));
  if (known?.[1] === "NoMatchingVolume" || known?.[1] === "NotEnoughCapacity") {
    // Name the claim's candidates: which volume failed on what.
    const waiting = claims.find((c) => c.status?.phase !== "Bound" && claimClass(c) !== "");
    if (waiting) verdict.candidates = explainClaim(cluster, waiting).candidates;
  }
  return verdict.block(
    "scheduling",
    known?.[1] ?? "Unschedulable",
    message,
    known?.[2] ?? "make a node fit the pod (resources, nodeSelector, affinity, taints), or relax the pod's constraints",
  );
}
