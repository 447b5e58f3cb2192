// Why a PersistentVolumeClaim is not Bound (or not usable): class → provisioner → capacity → binding, with every
// candidate volume and the rule it fails. The rules are the binder's (storagerules), the words upstream's.
import type { Node, PersistentVolumeClaim, Pod } from "../core/types.js";
import { podVolumeClaims } from "../core/ephemeral.js";
import type { NodeLabels } from "../selectors/nodeselector.js";
import { ClaimSelectorError } from "../storagerules/affinity.js";
import { claimClass, isDelayBindingMode } from "../storagerules/class.js";
import { checkVolumeSatisfyClaim } from "../storagerules/requested.js";
import { isVolumeBoundToClaim } from "../storagerules/claimref.js";
import { AnnSelectedNode, EventProvisioningFailed, LabelHostname } from "../wellknown.js";
import { candidateVolumes } from "./candidates.js";
import { lastEvent, named, type ClusterObjects } from "./cluster.js";
import { checkDataSource } from "./datasource.js";
import { checkCapacity, checkProvisioner } from "./provisioning.js";
import { Verdict } from "./verdict.js";

const noProvisioner = "kubernetes.io/no-provisioner";

/** Pods (not finished) that mount the claim, directly or as their generic ephemeral volume. */
export function podsUsingClaim(cluster: ClusterObjects, claim: PersistentVolumeClaim): Pod[] {
  return cluster.pods.filter(
    (pod) =>
      pod.metadata.namespace === claim.metadata.namespace &&
      pod.status?.phase !== "Succeeded" &&
      pod.status?.phase !== "Failed" &&
      podVolumeClaims(pod).some((v) => v.claimName === claim.metadata.name),
  );
}

function nodeLabels(nodes: readonly Node[], name: string): NodeLabels {
  const node = nodes.find((n) => n.metadata.name === name);
  return { name, labels: node ? { ...(node.metadata.labels ?? {}) } : { [LabelHostname]: name } };
}

export function explainClaim(cluster: ClusterObjects, claim: PersistentVolumeClaim): Verdict {
  const name = claim.metadata.name ?? "";
  const namespace = claim.metadata.namespace ?? "";
  const verdict = new Verdict("PersistentVolumeClaim", name, namespace, claim.status?.phase ?? "Pending");
  const users = podsUsingClaim(cluster, claim);
  if (claim.metadata.deletionTimestamp) {
    verdict.state = "Terminating";
    if (users.length > 0) {
      const podNames = users.map((p) => p.metadata.name ?? "").join(", ");
      return verdict.block(
        "pods",
        "ClaimInUse",
        `being deleted, but kubernetes.io/pvc-protection keeps it while pods use it: ${podNames}`,
        `delete the pods using it (${podNames}); the claim goes once none does`,
      );
    }
  }
  if (claim.status?.phase === "Bound") {
    verdict.state = `Bound to ${claim.spec.volumeName ?? ""}`;
    verdict.done("class", claimClass(claim) ? `class "${claimClass(claim)}"` : "no class");
    verdict.done("binding", `bound to PersistentVolume ${claim.spec.volumeName ?? ""}`);
    return verdict;
  }
  if (claim.status?.phase === "Lost") {
    return verdict.block(
      "binding",
      "ClaimLost",
      `the claim lost its PersistentVolume ${claim.spec.volumeName ?? ""}: data on the volume is lost`,
      "delete the claim and create it again (restore its data from a snapshot or backup)",
    );
  }
  if (claim.spec.volumeName) return explainRequestedVolume(cluster, claim, verdict);
  return explainUnbound(cluster, claim, verdict);
}

/** The claim names its volume (spec.volumeName): that volume, and only it, decides. */
function explainRequestedVolume(cluster: ClusterObjects, claim: PersistentVolumeClaim, verdict: Verdict): Verdict {
  const volumeName = claim.spec.volumeName ?? "";
  const volume = named(cluster.volumes, volumeName);
  verdict.done("class", `the claim asks for PersistentVolume ${volumeName} by name`);
  if (!volume) {
    return verdict.block(
      "binding",
      "VolumeNotFound",
      `the claim asks for PersistentVolume ${volumeName}, which does not exist`,
      `create PersistentVolume ${volumeName}, or remove spec.volumeName from the claim (delete and re-create it)`,
    );
  }
  const ref = volume.spec.claimRef;
  if (ref && !isVolumeBoundToClaim(volume, claim)) {
    verdict.see("PersistentVolume", volumeName, `claimRef ${ref.namespace ?? ""}/${ref.name ?? ""}`);
    return verdict.block(
      "binding",
      "VolumeBoundToAnotherClaim",
      `volume "${volumeName}" already bound to a different claim (${ref.namespace ?? ""}/${ref.name ?? ""})`,
      "ask for another volume: re-create the claim without spec.volumeName or naming a free volume",
    );
  }
  const mismatch = ref ? undefined : checkVolumeSatisfyClaim(volume, claim);
  if (mismatch) {
    return verdict.block(
      "binding",
      "VolumeMismatch",
      `Cannot bind to requested volume "${volumeName}": ${mismatch}`,
      "re-create the claim to match the volume (size, storageClassName, volumeMode, accessModes), or fix the volume",
    );
  }
  return verdict.waiting(
    "binding",
    "Binding",
    `volume ${volumeName} fits: the binder binds it`,
    "nothing: it is moving",
  );
}

function explainUnbound(cluster: ClusterObjects, claim: PersistentVolumeClaim, verdict: Verdict): Verdict {
  const className = claimClass(claim);
  const storageClass = className ? named(cluster.storageClasses, className) : undefined;
  const delayBinding = isDelayBindingMode(claim, (n) => named(cluster.storageClasses, n));
  const selectedNode = claim.metadata.annotations?.[AnnSelectedNode];
  const node = selectedNode ? nodeLabels(cluster.nodes, selectedNode) : undefined;
  try {
    verdict.candidates = candidateVolumes(claim, cluster.volumes, { delayBinding, node, nodes: cluster.nodes });
  } catch (err) {
    if (!(err instanceof ClaimSelectorError)) throw err;
    return verdict.block(
      "binding",
      "InvalidSelector",
      err.message,
      "fix the claim's spec.selector (re-create the claim)",
    );
  }
  const fitting = verdict.candidates.find((c) => c.fits);
  if (className === "") {
    verdict.done("class", "no class: only an existing volume without a class can bind it");
  } else if (!storageClass) {
    if (!fitting) {
      verdict.see("StorageClass", className, "not found");
      return verdict.block(
        "class",
        "StorageClassNotFound",
        `storageclass.storage.k8s.io "${className}" not found`,
        `create StorageClass "${className}", or re-create the claim with an existing class (kubectl get storageclass)`,
      );
    }
    verdict.done("class", `class "${className}" does not exist, but a volume of that class fits`);
  } else {
    const mode = storageClass.volumeBindingMode ?? "Immediate";
    verdict.done("class", `StorageClass ${className}: provisioner ${storageClass.provisioner}, ${mode}`);
  }
  if (delayBinding && !selectedNode) return explainDelayed(cluster, claim, verdict);
  if (fitting) {
    return verdict.waiting(
      "binding",
      "Binding",
      `volume ${fitting.name} fits: the binder binds it`,
      "nothing: it is moving",
    );
  }
  if (!storageClass || storageClass.provisioner === noProvisioner) {
    const why = className === "" ? "no storage class is set" : `class "${className}" has no provisioner`;
    const count = verdict.candidates.length;
    return verdict.block(
      "binding",
      "NoMatchingVolume",
      `no persistent volumes available for this claim and ${why}` +
        (count
          ? ` (${count} volume${count > 1 ? "s" : ""} checked, none fits: see candidates)`
          : " (there are no volumes)"),
      "create a PersistentVolume that fits the claim (size, access modes, volume mode, class, labels), or use a class with a provisioner",
    );
  }
  return explainProvisioning(cluster, claim, storageClass.provisioner, verdict, delayBinding ? node : undefined);
}

function explainProvisioning(
  cluster: ClusterObjects,
  claim: PersistentVolumeClaim,
  provisioner: string,
  verdict: Verdict,
  node: NodeLabels | undefined,
): Verdict {
  if (provisioner.startsWith("kubernetes.io/")) {
    return verdict.block(
      "provisioner",
      "NoVolumePlugin",
      `no volume plugin matched name: ${provisioner}`,
      "use a StorageClass whose provisioner is a CSI driver (kubectl get csidrivers)",
    );
  }
  if (!checkProvisioner(cluster, provisioner, verdict)) return verdict;
  const storageClass = named(cluster.storageClasses, claimClass(claim));
  if (node && storageClass && !checkCapacity(cluster, claim, storageClass, node, verdict)) return verdict;
  if (!checkDataSource(cluster, claim, verdict)) return verdict;
  const failed = lastEvent(cluster, claim, EventProvisioningFailed);
  if (failed) {
    verdict.see(
      "Event",
      failed.metadata.name ?? "",
      `${failed.reason ?? ""}: ${failed.message ?? ""}`,
      failed.metadata.namespace,
    );
    return verdict.block(
      "provisioner",
      "ProvisioningFailed",
      failed.message ?? "provisioning failed",
      "fix what the message names; the provisioner retries with backoff",
    );
  }
  return verdict.waiting(
    "provisioner",
    "Provisioning",
    `waiting for ${provisioner} to create the volume`,
    "nothing yet: the provisioner is working on it",
  );
}

/** WaitForFirstConsumer without a selected node: the claim waits for a pod, and that pod for the scheduler. */
function explainDelayed(cluster: ClusterObjects, claim: PersistentVolumeClaim, verdict: Verdict): Verdict {
  const storageClass = named(cluster.storageClasses, claimClass(claim));
  if (storageClass && storageClass.provisioner !== noProvisioner) {
    if (!checkProvisioner(cluster, storageClass.provisioner, verdict)) return verdict;
    if (!checkCapacity(cluster, claim, storageClass, undefined, verdict)) return verdict;
  }
  const pending = podsUsingClaim(cluster, claim).filter((pod) => !pod.spec.nodeName);
  if (pending.length === 0) {
    return verdict.waiting(
      "scheduling",
      "WaitForFirstConsumer",
      "waiting for first consumer to be created before binding",
      "create a pod that mounts the claim: the volume is made where the pod is scheduled",
    );
  }
  const pod = pending[0];
  const scheduled = pod.status?.conditions?.find((c) => c.type === "PodScheduled");
  const why = scheduled?.status === "False" && scheduled.message ? `: ${scheduled.message}` : "";
  if (why)
    verdict.see(
      "Pod",
      pod.metadata.name ?? "",
      `PodScheduled=False ${scheduled?.reason ?? ""}${why}`,
      pod.metadata.namespace,
    );
  const stop = why ? verdict.block.bind(verdict) : verdict.waiting.bind(verdict);
  return stop(
    "scheduling",
    "WaitForPodScheduled",
    `waiting for pod ${pod.metadata.name ?? ""} to be scheduled${why}`,
    why ? `run: stowage explain pod/${pod.metadata.name ?? ""}` : "nothing yet: the scheduler is placing the pod",
  );
}
