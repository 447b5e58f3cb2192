// Where a volume may be made (CreateVolume's accessibility_requirements) and where it can be used afterwards
// (the PV's nodeAffinity), as external-provisioner's topology.go computes them for drivers that report
// VOLUME_ACCESSIBILITY_CONSTRAINTS:
// - Immediate: requisite = the class's allowedTopologies flattened, or else every topology segment the driver's
//   nodes report (CSINode topologyKeys, values from the Node labels); preferred = requisite rotated by a hash of
//   the claim's name, so StatefulSet replicas spread.
// - WaitForFirstConsumer: the selected node's segment (its CSINode keys, its Node labels) comes first in preferred.
import type { Node, NodeSelectorTerm, VolumeNodeAffinity } from "../../../api/core/types.js";
import type { CSINode, TopologySelectorTerm } from "../../../api/storage/types.js";
import type { TopologyRequirement } from "../../generated/csi/v1/TopologyRequirement.js";
import type { Topology__Output } from "../../generated/csi/v1/Topology.js";

/** One segment: key=value pairs sorted by key (upstream's topologyTerm). */
export type TopologyTerm = Array<[key: string, value: string]>;

/** A topology problem. `reschedule`: the selected node cannot be judged (no CSINode/Node): let the scheduler pick again. */
export class TopologyError extends Error {
  override name = "TopologyError";
  constructor(
    message: string,
    readonly reschedule = false,
  ) {
    super(message);
  }
}

const sortTerm = (term: TopologyTerm): TopologyTerm => term.sort((a, b) => cmp(a[0], b[0]) || cmp(a[1], b[1]));
const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function compareTerms(a: TopologyTerm, b: TopologyTerm): number {
  if (a.length !== b.length) return a.length - b.length;
  for (let i = 0; i < a.length; i++) {
    const r = cmp(a[i][0], b[i][0]) || cmp(a[i][1], b[i][1]);
    if (r !== 0) return r;
  }
  return 0;
}

/** Every pair of `term` is in `other` (both sorted). */
export function isSubset(term: TopologyTerm, other: TopologyTerm): boolean {
  const pairs = new Map(other);
  return term.every(([key, value]) => pairs.get(key) === value);
}

/** allowedTopologies (OR of ANDs of ORs) → OR of segments, distributing each value list over the AND. */
export function flatten(allowedTopologies: readonly TopologySelectorTerm[]): TopologyTerm[] {
  const out: TopologyTerm[] = [];
  for (const selector of allowedTopologies) {
    let terms: TopologyTerm[] = [];
    for (const expression of selector.matchLabelExpressions ?? []) {
      const next: TopologyTerm[] = [];
      for (const value of expression.values) {
        if (terms.length === 0) next.push([[expression.key, value]]);
        else for (const term of terms) next.push([...term, [expression.key, value]]);
      }
      terms = next;
    }
    out.push(...terms);
  }
  return out.map(sortTerm);
}

const topologyKeysOf = (csiNode: CSINode | undefined, driverName: string): string[] =>
  csiNode?.spec.drivers.find((d) => d.name === driverName)?.topologyKeys ?? [];

/** The node's segment for these keys, or undefined when a label is missing. */
function termOfLabels(labels: Record<string, string> | undefined, keys: readonly string[]): TopologyTerm | undefined {
  const term: TopologyTerm = [];
  for (const key of keys) {
    const value = labels?.[key];
    if (value === undefined) return undefined;
    term.push([key, value]);
  }
  return sortTerm(term);
}

/** FNV-1 32-bit, as Go's hash/fnv New32 (not 1a). */
function fnv32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash = Math.imul(hash, 0x01000193) >>> 0;
    hash = (hash ^ byte) >>> 0;
  }
  return hash;
}

/** Upstream's getPVCNameHashAndIndexOffset: "data-web-2" hashes "web" and offsets by 2. */
export function claimNameHashAndIndex(claimName: string): { hash: number; index: number } {
  let hashed = claimName;
  let index = 0;
  const lastDash = claimName.lastIndexOf("-");
  if (lastDash !== -1) {
    const id = claimName.slice(lastDash + 1);
    if (/^\d+$/.test(id) && Number(id) <= 0xffffffff) {
      index = Number(id);
      hashed = claimName.slice(0, lastDash);
      const inner = hashed.lastIndexOf("-");
      if (inner !== -1) hashed = hashed.slice(inner + 1);
    }
  }
  return { hash: fnv32(hashed), index };
}

export interface TopologyInputs {
  driverName: string;
  claimName: string;
  allowedTopologies?: readonly TopologySelectorTerm[];
  /** volume.kubernetes.io/selected-node, for WaitForFirstConsumer claims. */
  selectedNode?: string;
  csiNodes: { get(name: string): CSINode | undefined; list(): CSINode[] };
  nodes: { get(name: string): Node | undefined; list(): Node[] };
  /** --strict-topology: only the selected node's segment is requisite. Default false. */
  strictTopology?: boolean;
  /** --immediate-topology: Immediate claims without allowedTopologies get the cluster's segments. Default true. */
  immediateTopology?: boolean;
}

/** GenerateAccessibilityRequirements: undefined means "no constraint". */
export function accessibilityRequirements(inputs: TopologyInputs): TopologyRequirement | undefined {
  const { driverName, selectedNode } = inputs;
  const allowed = inputs.allowedTopologies ?? [];
  let selectedTerm: TopologyTerm | undefined;
  let keys: string[] = [];
  let requisite: TopologyTerm[] = [];

  if (selectedNode) {
    const csiNode = inputs.csiNodes.get(selectedNode);
    if (!csiNode) {
      throw new TopologyError(
        `error generating accessibility requirements: failed to get selected CSINode ${selectedNode}: csinode.storage.k8s.io "${selectedNode}" not found`,
        true,
      );
    }
    keys = topologyKeysOf(csiNode, driverName);
    if (keys.length === 0) {
      throw new TopologyError(
        `error generating accessibility requirements: no topology key found for node ${selectedNode}`,
      );
    }
    const node = inputs.nodes.get(selectedNode);
    selectedTerm = node ? termOfLabels(node.metadata.labels, keys) : undefined;
    if (!selectedTerm) {
      throw new TopologyError(
        `error generating accessibility requirements: topology labels from selected node ${JSON.stringify(node?.metadata.labels ?? {})} does not match topology keys from CSINode [${keys.join(" ")}]`,
      );
    }
    if (inputs.strictTopology) {
      if (allowed.length > 0 && !flatten(allowed).some((t) => isSubset(t, selectedTerm!))) {
        throw new TopologyError(
          `error generating accessibility requirements: selected node "${selectedNode}" topology is not in allowed topologies`,
        );
      }
      requisite = [selectedTerm];
    }
  }

  if (requisite.length === 0) {
    if (allowed.length > 0) {
      requisite = flatten(allowed);
    } else {
      if (!selectedNode && inputs.immediateTopology === false) return undefined;
      if (!selectedNode) {
        // Immediate: the keys of the first node the driver registered topology on (upstream picks at random).
        for (const csiNode of [...inputs.csiNodes.list()].sort((a, b) =>
          cmp(a.metadata.name ?? "", b.metadata.name ?? ""),
        )) {
          keys = topologyKeysOf(csiNode, driverName);
          if (keys.length > 0) break;
        }
        // No node reports topology for the driver yet: no constraint (upstream logs "No topology keys found").
        if (keys.length === 0) return undefined;
      }
      for (const node of inputs.nodes.list()) {
        const term = termOfLabels(node.metadata.labels, keys);
        if (term && term.length > 0) requisite.push(term);
      }
      if (requisite.length === 0) {
        throw new TopologyError(
          `error generating accessibility requirements: topologyKeys [${keys.join(" ")}] were not found on any nodes`,
        );
      }
    }
  }

  requisite = requisite.filter((t) => t.length > 0).sort(compareTerms);
  requisite = requisite.filter((t, i) => i === 0 || compareTerms(t, requisite[i - 1]) !== 0);
  if (requisite.length === 0) return undefined;

  let preferred: TopologyTerm[];
  if (!selectedNode) {
    const { hash, index } = claimNameHashAndIndex(inputs.claimName);
    const i = ((hash + index) >>> 0) % requisite.length;
    preferred = [...requisite.slice(i), ...requisite.slice(0, i)];
  } else if (inputs.strictTopology) {
    preferred = requisite;
  } else {
    const i = requisite.findIndex((t) => isSubset(t, selectedTerm!));
    if (i < 0) {
      throw new TopologyError(
        `error generating accessibility requirements: topology from selected node "${selectedNode}" is not in requisite`,
      );
    }
    preferred = [...requisite.slice(i), ...requisite.slice(0, i)];
  }
  const toCsi = (terms: TopologyTerm[]) => terms.map((t) => ({ segments: Object.fromEntries(t) }));
  return { requisite: toCsi(requisite), preferred: toCsi(preferred) };
}

/** GenerateVolumeNodeAffinity: one term per accessible segment, each key `In` its one value. */
export function volumeNodeAffinity(accessible: readonly Topology__Output[]): VolumeNodeAffinity | undefined {
  const terms: NodeSelectorTerm[] = [];
  for (const topology of accessible) {
    const keys = Object.keys(topology.segments).sort();
    if (keys.length === 0) continue;
    terms.push({
      matchExpressions: keys.map((key) => ({ key, operator: "In", values: [topology.segments[key]] })),
    });
  }
  if (terms.length === 0) return undefined;
  return { required: { nodeSelectorTerms: terms } };
}
