// The check behind scheduling figures: every pod on a node that exists, each of its claims Bound to its own PV, and
// each such PV's required node affinity admitting the pod's node. The affinity matcher is the checker's own (the
// operators the benches use), not the scheduler's, so it cannot agree with a wrong scheduler by construction.
import type { Node, PersistentVolume, PersistentVolumeClaim, Pod } from "../../src/api/core/types.js";
import { CheckFailed } from "../lib/bench.js";
import { checkBindings } from "./binding.js";

type Requirement = { key: string; operator: string; values?: string[] };

function requirementHolds(r: Requirement, labels: Record<string, string>): boolean {
  const value = labels[r.key];
  switch (r.operator) {
    case "In":
      return value !== undefined && (r.values ?? []).includes(value);
    case "NotIn":
      return value === undefined || !(r.values ?? []).includes(value);
    case "Exists":
      return value !== undefined;
    case "DoesNotExist":
      return value === undefined;
    default:
      throw new CheckFailed(`the checker does not know the node selector operator ${r.operator}`);
  }
}

/** A PV's required node affinity admits the node: terms ORed, a term's expressions ANDed, an empty term nothing. */
export function affinityAdmits(volume: PersistentVolume, node: Node): boolean {
  const terms = volume.spec.nodeAffinity?.required?.nodeSelectorTerms;
  if (!terms) return true;
  const labels = node.metadata.labels ?? {};
  const fields = { "metadata.name": node.metadata.name ?? "" };
  return terms.some((term) => {
    const expressions = term.matchExpressions ?? [];
    const onFields = term.matchFields ?? [];
    if (expressions.length + onFields.length === 0) return false;
    return expressions.every((r) => requirementHolds(r, labels)) && onFields.every((r) => requirementHolds(r, fields));
  });
}

/** Throws CheckFailed unless every pod is on an existing node with every claim Bound to a PV reachable there. */
export function checkScheduled(
  pods: readonly Pod[],
  claims: readonly PersistentVolumeClaim[],
  volumes: readonly PersistentVolume[],
  nodes: readonly Node[],
): void {
  const nodeByName = new Map(nodes.map((n) => [n.metadata.name ?? "", n]));
  const claimByKey = new Map(claims.map((c) => [`${c.metadata.namespace}/${c.metadata.name}`, c]));
  const volumeByName = new Map(volumes.map((v) => [v.metadata.name ?? "", v]));
  const used: PersistentVolumeClaim[] = [];
  for (const pod of pods) {
    const podKey = `${pod.metadata.namespace}/${pod.metadata.name}`;
    const node = nodeByName.get(pod.spec.nodeName ?? "");
    if (!node) throw new CheckFailed(`pod ${podKey} is on node "${pod.spec.nodeName ?? ""}", which does not exist`);
    for (const v of pod.spec.volumes ?? []) {
      if (!v.persistentVolumeClaim) continue;
      const claim = claimByKey.get(`${pod.metadata.namespace}/${v.persistentVolumeClaim.claimName}`);
      if (!claim) throw new CheckFailed(`pod ${podKey}'s claim ${v.persistentVolumeClaim.claimName} does not exist`);
      used.push(claim);
      const volume = volumeByName.get(claim.spec.volumeName ?? "");
      if (volume && !affinityAdmits(volume, node))
        throw new CheckFailed(
          `pod ${podKey} is on ${node.metadata.name}, which PV ${volume.metadata.name}'s node affinity excludes`,
        );
    }
  }
  // Each claim once (two pods may share one), each Bound to a distinct PV that is bound back to it.
  checkBindings([...new Set(used)], volumes, { smallestFit: false });
}
