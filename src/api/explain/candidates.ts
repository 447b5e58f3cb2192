// Every volume an unbound claim could take, and the exact rule each one fails: the binder's own rules
// (storagerules/fit.ts fitVerdictFor), so explain and the binder can never disagree.
import type { Node, PersistentVolume, PersistentVolumeClaim } from "../core/types.js";
import { nodeLabelsOf, type NodeLabels } from "../selectors/nodeselector.js";
import { checkNodeAffinity } from "../storagerules/affinity.js";
import { claimRequest, volumeCapacity } from "../storagerules/capacity.js";
import { claimClass, volumeClass } from "../storagerules/class.js";
import { compareFit, fitRank, fitVerdictFor, type FitVerdict } from "../storagerules/fit.js";
import type { Candidate } from "./verdict.js";
import { shortModes } from "./cluster.js";

export interface CandidateOptions {
  /** The binder's view: the class binds WaitForFirstConsumer. */
  delayBinding: boolean;
  /** The node the claim goes to (selected-node), when known. */
  node?: NodeLabels;
  /** Without a node, a delayed claim's free volumes are checked against these (the scheduler tries every node). */
  nodes: readonly Node[];
}

const quoted = (name: string) => (name === "" ? '"" (no class)' : `"${name}"`);

function misfitMessage(verdict: FitVerdict, volume: PersistentVolume, claim: PersistentVolumeClaim, node?: string) {
  const ref = volume.spec.claimRef;
  switch (verdict) {
    case "ClaimedByAnother":
      return ref?.uid
        ? `already bound to claim ${ref.namespace ?? ""}/${ref.name ?? ""}`
        : `claimRef reserves it for claim ${ref?.namespace ?? ""}/${ref?.name ?? ""}`;
    case "TooSmall":
      return `capacity ${volumeCapacity(volume).toString()} is less than the ${claimRequest(claim).toString()} the claim requests`;
    case "VolumeModeMismatch":
      return `volumeMode ${volume.spec.volumeMode ?? "Filesystem"}, the claim asks for ${claim.spec.volumeMode ?? "Filesystem"}`;
    case "BeingDeleted":
      return "being deleted";
    case "AccessModesMismatch":
      return `access modes ${shortModes(volume.spec.accessModes)} do not include the claim's ${shortModes(claim.spec.accessModes)}`;
    case "WaitingForNode":
      return "binding waits until a pod using the claim is scheduled (WaitForFirstConsumer)";
    case "NotAvailable":
      return `phase ${volume.status?.phase ?? "Pending"}: only Available volumes are bound`;
    case "SelectorMismatch":
      return `labels ${JSON.stringify(volume.metadata.labels ?? {})} do not match the claim's selector`;
    case "ClassMismatch":
      return `storage class ${quoted(volumeClass(volume))}, the claim asks for ${quoted(claimClass(claim))}`;
    case "NodeAffinityMismatch":
    case "preBoundOffNode":
      return node ? `node affinity does not admit node ${node}` : "node affinity admits no node of the cluster";
    case "preBound":
      return "pre-bound to this claim and fits";
    case "free":
      return "fits";
  }
}

const reasonOf = (verdict: FitVerdict): string =>
  verdict === "free"
    ? "Fits"
    : verdict === "preBound"
      ? "PreBound"
      : verdict === "preBoundOffNode"
        ? "NodeAffinityMismatch"
        : verdict;

/**
 * Every volume with its verdict, fitting ones first in smallest-fit order (the first is the one the binder
 * takes), then the rest by name. Throws ClaimSelectorError as fitVerdictFor does.
 */
export function candidateVolumes(
  claim: PersistentVolumeClaim,
  volumes: readonly PersistentVolume[],
  options: CandidateOptions,
): Candidate[] {
  // A delayed claim without a node is the scheduler's: it asks per node, so judge the volume as it would.
  const perNode = options.delayBinding && !options.node;
  const verdictOf = fitVerdictFor(claim, perNode ? {} : { delayBinding: options.delayBinding, node: options.node });
  const nodes = options.nodes.map(nodeLabelsOf);
  const judged = volumes.map((volume) => {
    let verdict = verdictOf(volume);
    if (perNode && (verdict === "free" || verdict === "preBound") && nodes.length > 0) {
      if (!nodes.some((node) => checkNodeAffinity(volume, node))) verdict = "NodeAffinityMismatch";
    }
    return { volume, verdict };
  });
  const fits = (v: FitVerdict) => v === "free" || v === "preBound";
  judged.sort((a, b) => {
    if (fits(a.verdict) !== fits(b.verdict)) return fits(a.verdict) ? -1 : 1;
    if (fits(a.verdict)) {
      if (a.verdict !== b.verdict) return a.verdict === "preBound" ? -1 : 1;
      return compareFit(fitRank(a.volume), fitRank(b.volume));
    }
    return (a.volume.metadata.name ?? "") < (b.volume.metadata.name ?? "") ? -1 : 1;
  });
  return judged.map(({ volume, verdict }) => ({
    name: volume.metadata.name ?? "",
    fits: fits(verdict),
    reason: reasonOf(verdict),
    message: misfitMessage(verdict, volume, claim, options.node?.name),
  }));
}
