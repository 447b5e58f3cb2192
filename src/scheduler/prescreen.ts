// Which nodes a pod's WaitForFirstConsumer claims could be satisfied on, worked out from the claims' side: the
// nodes their free candidate PVs' node affinity names, plus the nodes a CSIStorageCapacity big enough is published
// for. VolumeBinding rejects every other node, whatever the filters before it say, so the scheduling cycle skips
// them without running any filter (the answer is a superset: a node in it still goes through every filter). With
// one PV per node, late pods of the scale bench filtered all 5,000 nodes to find the few hundred still free.
// Answers are cached per free-candidate list (remade by freevolumes.ts as PVs are taken) and per class and size,
// and thrown away when node labels, classes, CSIDrivers or CSIStorageCapacities change.
import type { NodeSelectorTerm, PersistentVolume, PersistentVolumeClaim } from "../api/core/types.js";
import { tryParseQuantity } from "../api/quantity.js";
import type { CSIStorageCapacity } from "../api/storage/types.js";
import { claimRequest } from "../api/storagerules/capacity.js";
import { claimClass } from "../api/storagerules/class.js";
import { AnnSelectedNode } from "../api/wellknown.js";
import type { NodeLabelIndex } from "./nodelabels.js";
import type { ClaimCandidates, PodClaims, VolumeView } from "./volumebinding.js";
import { NotSupportedProvisioner, volumeCandidates } from "./volumebinding.js";

/** A set of node names, or "any": no node can be ruled out. */
type Nodes = ReadonlySet<string> | "any";

export interface ScreenView extends VolumeView {
  readonly nodeLabels: NodeLabelIndex;
  /** Every CSIStorageCapacity of the class. */
  capacitiesOfClass(className: string): readonly CSIStorageCapacity[];
  /** Moves whenever node labels, classes, CSIDrivers or CSIStorageCapacities change. */
  topologyGeneration(): number;
}

const none: ReadonlySet<string> = new Set();

function union(into: Set<string>, nodes: Iterable<string>): void {
  for (const node of nodes) into.add(node);
}

/** Adds the nodes one term of a required node affinity can admit (those its first `In` names); false: any node. */
function addTermNodes(labels: NodeLabelIndex, term: NodeSelectorTerm, into: (node: string) => void): boolean {
  const expressions = term.matchExpressions ?? [];
  const field = (term.matchFields ?? []).find((r) => r.key === "metadata.name" && r.operator === "In");
  if (field) {
    for (const name of field.values ?? []) into(name);
    return true;
  }
  if (expressions.length === 0) return true; // an empty term admits no node (a matchFields-only term: see above)
  const requirement = expressions.find((r) => r.operator === "In");
  if (!requirement) return false;
  for (const value of requirement.values ?? []) for (const node of labels.withLabel(requirement.key, value)) into(node);
  return true;
}

/** Adds the nodes a PV's required node affinity can admit; false: it may admit any node. */
export function addVolumeNodes(labels: NodeLabelIndex, volume: PersistentVolume, into: (node: string) => void) {
  const required = volume.spec?.nodeAffinity?.required;
  if (!required) return false;
  for (const term of required.nodeSelectorTerms ?? []) if (!addTermNodes(labels, term, into)) return false;
  return true;
}

/** The nodes a free-candidate list can reach, and by node the candidates (in list order) that may reach it. */
interface Reach {
  nodes: ReadonlySet<string>;
  byNode: ReadonlyMap<string, readonly PersistentVolume[]>;
  /** Volumes whose affinity is one `key In values` requirement: listed under a node, they reach it. */
  exact: ReadonlySet<PersistentVolume>;
}

/** One term with one `In` requirement: the label index names exactly the nodes it admits. */
function exactlyNamed(volume: PersistentVolume): boolean {
  const terms = volume.spec?.nodeAffinity?.required?.nodeSelectorTerms ?? [];
  if (terms.length !== 1) return false;
  const [{ matchExpressions = [], matchFields = [] }] = terms;
  return matchFields.length === 0 && matchExpressions.length === 1 && matchExpressions[0].operator === "In";
}

export class VolumeNodeScreen {
  /** Per free-candidate list (shared by claims alike): the nodes some of its PVs can reach. */
  private reached = new WeakMap<readonly PersistentVolume[], Reach | "any">();
  /** Per class and request: the nodes a published capacity is big enough on. */
  private provisionable = new Map<string, Nodes>();
  private generation = -1;

  constructor(private readonly view: ScreenView) {}

  /**
   * The nodes where every delayed claim of the pod can take a free PV or be provisioned, or "any". Fills
   * `claims.candidates`, which filterVolumes then uses.
   */
  nodesFor(claims: PodClaims): Nodes {
    const generation = this.view.topologyGeneration();
    if (generation !== this.generation) {
      this.generation = generation;
      this.reached = new WeakMap();
      this.provisionable.clear();
    }
    const sets: ReadonlySet<string>[] = [];
    for (const claim of claims.delayed) {
      claims.candidates ??= new Map();
      let candidates = claims.candidates.get(claim);
      if (!candidates) claims.candidates.set(claim, (candidates = volumeCandidates(this.view, claim)));
      const nodes = this.claimNodes(claim, candidates);
      if (nodes !== "any") sets.push(nodes);
    }
    if (sets.length === 0) return "any";
    sets.sort((a, b) => a.size - b.size);
    const [smallest, ...others] = sets;
    if (others.length === 0) return smallest;
    return new Set([...smallest].filter((node) => others.every((set) => set.has(node))));
  }

  private claimNodes(claim: PersistentVolumeClaim, candidates: ClaimCandidates): Nodes {
    if (candidates.preBound.length > 0) return "any"; // rare: the filter decides
    const reached = this.reachedBy(candidates.free);
    if (reached === "any") return "any";
    candidates.byNode = reached.byNode;
    candidates.reachesListedNodes = reached.exact;
    const reach = reached.nodes;
    const provision = this.provisionableFor(claim);
    if (provision === "any") return "any";
    if (provision.size === 0) return reach;
    if (reach.size === 0) return provision;
    const both = new Set(reach);
    union(both, provision);
    return both;
  }

  private reachedBy(free: readonly PersistentVolume[]): Reach | "any" {
    let reach = this.reached.get(free);
    if (reach) return reach;
    const byNode = new Map<string, PersistentVolume[]>();
    const exact = new Set<PersistentVolume>();
    reach = { nodes: new Set(), byNode, exact };
    for (const volume of free) {
      let last = "";
      const into = (node: string): void => {
        if (node === last) return;
        last = node;
        const volumes = byNode.get(node);
        // A volume whose terms name a node twice is listed once.
        if (!volumes) byNode.set(node, [volume]);
        else if (volumes[volumes.length - 1] !== volume) volumes.push(volume);
      };
      if (!addVolumeNodes(this.view.nodeLabels, volume, into)) {
        reach = "any";
        break;
      }
      if (exactlyNamed(volume)) exact.add(volume);
    }
    if (reach !== "any") reach.nodes = new Set(byNode.keys());
    this.reached.set(free, reach);
    return reach;
  }

  /** checkVolumeProvisions' node-dependent part, from the claim's side (allowedTopologies left to the filter). */
  private provisionableFor(claim: PersistentVolumeClaim): Nodes {
    const selected = claim.metadata.annotations?.[AnnSelectedNode];
    if (selected !== undefined) return new Set([selected]);
    const className = claimClass(claim);
    const storageClass = this.view.storageClass(className);
    if (!storageClass || storageClass.provisioner === NotSupportedProvisioner) return none;
    if (!this.view.csiDriver(storageClass.provisioner)?.spec.storageCapacity) return "any";
    const request = claimRequest(claim);
    if (request.isZero()) return "any";
    const key = `${className}\u0000${request.nano}`;
    let nodes = this.provisionable.get(key);
    if (nodes) return nodes;
    const all = new Set<string>();
    nodes = all;
    for (const capacity of this.view.capacitiesOfClass(className)) {
      const limit = tryParseQuantity(capacity.maximumVolumeSize ?? capacity.capacity);
      if (limit === undefined || limit.cmp(request) < 0) continue;
      const topology = capacity.nodeTopology;
      if (!topology) continue; // a nil nodeTopology admits no node
      const labels = Object.entries(topology.matchLabels ?? {});
      if (labels.length !== 1 || (topology.matchExpressions ?? []).length > 0) {
        nodes = "any";
        break;
      }
      const [[key, value]] = labels;
      union(all, this.view.nodeLabels.withLabel(key, value));
    }
    this.provisionable.set(key, nodes);
    return nodes;
  }
}
