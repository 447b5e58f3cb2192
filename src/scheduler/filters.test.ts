// One row per upstream case (pkg/scheduler/framework/plugins/{nodeunschedulable,tainttoleration,nodeaffinity}
// tests): the node, the pod, and the reason upstream gives (undefined: the node passes).
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Node, NodeSelectorTerm, Pod, PodSpec, Taint, Toleration } from "../api/core/types.js";
import {
  ErrReasonNodeAffinity,
  ErrReasonUnschedulable,
  filterNodeAffinity,
  filterNodeUnschedulable,
  filterTaintToleration,
} from "./filters.js";

function node(
  name: string,
  extra: {
    labels?: Record<string, string>;
    unschedulable?: boolean;
    taints?: Taint[];
    ready?: "True" | "False" | "Unknown";
  } = {},
): Node {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name, labels: extra.labels ?? { "kubernetes.io/hostname": name } },
    spec: { unschedulable: extra.unschedulable, taints: extra.taints },
    status: extra.ready ? { conditions: [{ type: "Ready", status: extra.ready }] } : undefined,
  };
}

function pod(spec: Partial<PodSpec> = {}): Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "p", namespace: "default" },
    spec: { containers: [{ name: "c", image: "busybox" }], ...spec },
  };
}

const tolerate = (...tolerations: Toleration[]): Pod => pod({ tolerations });
const affinity = (...nodeSelectorTerms: NodeSelectorTerm[]): Pod =>
  pod({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms } } } });

const unschedulableCases = [
  { name: "a schedulable node takes the pod", node: node("n"), pod: pod(), want: undefined },
  {
    name: "a cordoned node refuses the pod",
    node: node("n", { unschedulable: true }),
    pod: pod(),
    want: ErrReasonUnschedulable,
  },
  {
    name: "a cordoned node takes a pod tolerating node.kubernetes.io/unschedulable:NoSchedule",
    node: node("n", { unschedulable: true }),
    pod: tolerate({ key: "node.kubernetes.io/unschedulable", operator: "Exists", effect: "NoSchedule" }),
    want: undefined,
  },
];
for (const c of unschedulableCases) {
  test(`NodeUnschedulable: ${c.name}`, () => assert.equal(filterNodeUnschedulable(c.pod, c.node)?.reasons[0], c.want));
}

const dedicated: Taint = { key: "dedicated", value: "db", effect: "NoSchedule" };
const taintCases = [
  { name: "an untainted node takes any pod", node: node("n"), pod: pod(), want: undefined },
  {
    name: "a NoSchedule taint refuses a pod without tolerations",
    node: node("n", { taints: [dedicated] }),
    pod: pod(),
    want: "node(s) had untolerated taint {dedicated: db}",
  },
  {
    name: "an Equal toleration with the same key, value and effect tolerates it",
    node: node("n", { taints: [dedicated] }),
    pod: tolerate({ key: "dedicated", operator: "Equal", value: "db", effect: "NoSchedule" }),
    want: undefined,
  },
  {
    name: "an Equal toleration with another value does not",
    node: node("n", { taints: [dedicated] }),
    pod: tolerate({ key: "dedicated", value: "web", effect: "NoSchedule" }),
    want: "node(s) had untolerated taint {dedicated: db}",
  },
  {
    name: "Exists with an empty key and no effect tolerates every taint",
    node: node("n", { taints: [dedicated, { key: "gpu", effect: "NoExecute" }] }),
    pod: tolerate({ operator: "Exists" }),
    want: undefined,
  },
  {
    name: "a toleration for another effect does not tolerate",
    node: node("n", { taints: [dedicated] }),
    pod: tolerate({ key: "dedicated", operator: "Exists", effect: "NoExecute" }),
    want: "node(s) had untolerated taint {dedicated: db}",
  },
  {
    name: "NoExecute taints are filtered too, with an empty value printed empty",
    node: node("n", { taints: [{ key: "gpu", effect: "NoExecute" }] }),
    pod: pod(),
    want: "node(s) had untolerated taint {gpu: }",
  },
  {
    name: "PreferNoSchedule taints never filter",
    node: node("n", { taints: [{ key: "spot", value: "true", effect: "PreferNoSchedule" }] }),
    pod: pod(),
    want: undefined,
  },
  {
    name: "a node whose Ready condition is False counts as tainted not-ready",
    node: node("n", { ready: "False" }),
    pod: pod(),
    want: "node(s) had untolerated taint {node.kubernetes.io/not-ready: }",
  },
  {
    name: "a node whose Ready condition is Unknown counts as tainted unreachable",
    node: node("n", { ready: "Unknown" }),
    pod: pod(),
    want: "node(s) had untolerated taint {node.kubernetes.io/unreachable: }",
  },
  { name: "a Ready node takes the pod", node: node("n", { ready: "True" }), pod: pod(), want: undefined },
];
for (const c of taintCases) {
  test(`TaintToleration: ${c.name}`, () => assert.equal(filterTaintToleration(c.pod, c.node)?.reasons[0], c.want));
}

const zoned = node("n", { labels: { "kubernetes.io/hostname": "n", zone: "a", gen: "5" } });
const affinityCases = [
  { name: "no selector and no affinity: every node", pod: pod(), want: undefined },
  { name: "nodeSelector with matching labels", pod: pod({ nodeSelector: { zone: "a" } }), want: undefined },
  { name: "nodeSelector with another value", pod: pod({ nodeSelector: { zone: "b" } }), want: ErrReasonNodeAffinity },
  {
    name: "nodeSelector with a label the node lacks",
    pod: pod({ nodeSelector: { disk: "ssd" } }),
    want: ErrReasonNodeAffinity,
  },
  {
    name: "In matches",
    pod: affinity({ matchExpressions: [{ key: "zone", operator: "In", values: ["a", "b"] }] }),
    want: undefined,
  },
  {
    name: "NotIn on a missing label matches",
    pod: affinity({ matchExpressions: [{ key: "disk", operator: "NotIn", values: ["hdd"] }] }),
    want: undefined,
  },
  {
    name: "DoesNotExist on a present label fails",
    pod: affinity({ matchExpressions: [{ key: "zone", operator: "DoesNotExist" }] }),
    want: ErrReasonNodeAffinity,
  },
  {
    name: "Gt compares integers",
    pod: affinity({ matchExpressions: [{ key: "gen", operator: "Gt", values: ["4"] }] }),
    want: undefined,
  },
  {
    name: "Lt compares integers",
    pod: affinity({ matchExpressions: [{ key: "gen", operator: "Lt", values: ["4"] }] }),
    want: ErrReasonNodeAffinity,
  },
  {
    name: "terms are ORed",
    pod: affinity(
      { matchExpressions: [{ key: "zone", operator: "In", values: ["b"] }] },
      { matchExpressions: [{ key: "zone", operator: "In", values: ["a"] }] },
    ),
    want: undefined,
  },
  {
    name: "requirements within a term are ANDed",
    pod: affinity({
      matchExpressions: [
        { key: "zone", operator: "In", values: ["a"] },
        { key: "gen", operator: "In", values: ["4"] },
      ],
    }),
    want: ErrReasonNodeAffinity,
  },
  { name: "an empty term matches no node", pod: affinity({}), want: ErrReasonNodeAffinity },
  {
    name: "matchFields metadata.name",
    pod: affinity({ matchFields: [{ key: "metadata.name", operator: "In", values: ["n"] }] }),
    want: undefined,
  },
  {
    name: "nodeSelector and affinity must both match",
    pod: {
      ...affinity({ matchExpressions: [{ key: "zone", operator: "In", values: ["a"] }] }),
      spec: {
        ...affinity({ matchExpressions: [{ key: "zone", operator: "In", values: ["a"] }] }).spec,
        nodeSelector: { zone: "b" },
      },
    },
    want: ErrReasonNodeAffinity,
  },
];
for (const c of affinityCases) {
  test(`NodeAffinity: ${c.name}`, () => assert.equal(filterNodeAffinity(c.pod, zoned)?.reasons[0], c.want));
}
