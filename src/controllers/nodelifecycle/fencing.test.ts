// The fencing decision, one row per case: when a silent node is taken out of service (upstream's non-graceful
// shutdown taint), which of its pods are force-deleted, and when the taint comes off again.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Node, Pod, Taint, Toleration } from "../../api/core/types.js";
import { AnnFencedVolumesReleased, AnnOutOfServiceSince, fencingStep, OutOfServiceTaint } from "./fencing.js";

const grace = 15_000;

function node(options: { taints?: Taint[]; annotations?: Record<string, string> } = {}): Node {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name: "node-1", annotations: options.annotations },
    spec: { taints: options.taints },
  };
}
function pod(name: string, tolerations?: Toleration[]): Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "default" },
    spec: { nodeName: "node-1", containers: [], tolerations },
  };
}
const ours = { taints: [OutOfServiceTaint], annotations: { [AnnOutOfServiceSince]: "2026-12-06T10:00:00Z" } };
const released = { ...ours, annotations: { ...ours.annotations, [AnnFencedVolumesReleased]: "true" } };
const byAdmin = {
  taints: [{ key: "node.kubernetes.io/out-of-service", value: "nodeshutdown", effect: "NoExecute" } as Taint],
};

const cases: Array<{
  name: string;
  node: Node;
  pods?: Pod[];
  silentForMs: number;
  anotherNodeHealthy?: boolean;
  want: string;
}> = [
  { name: "a node renewing its lease is left alone", node: node(), pods: [pod("a")], silentForMs: 2_000, want: "none" },
  { name: "silent for less than the grace: still waiting", node: node(), silentForMs: grace - 1, want: "none" },
  { name: "silent for the grace: tainted out-of-service", node: node(), silentForMs: grace, want: "taint" },
  {
    name: "no node at all renews its lease: nobody is fenced (our own partition is likelier)",
    node: node(),
    silentForMs: 60_000,
    anotherNodeHealthy: false,
    want: "none",
  },
  {
    name: "tainted and silent: its pods are force-deleted",
    node: node(ours),
    pods: [pod("web-0"), pod("db-0")],
    silentForMs: grace,
    want: "evict web-0,db-0",
  },
  {
    name: "a pod tolerating the out-of-service taint stays",
    node: node(ours),
    pods: [pod("agent", [{ key: "node.kubernetes.io/out-of-service", operator: "Exists", effect: "NoExecute" }])],
    silentForMs: grace,
    want: "none",
  },
  {
    name: "an operator's toleration of every taint (operator Exists, no key) keeps its pod too",
    node: node(ours),
    pods: [pod("daemon", [{ operator: "Exists" }]), pod("web-0")],
    silentForMs: grace,
    want: "evict web-0",
  },
  {
    name: "the taint an admin added counts the same: the silent node's pods go",
    node: node(byAdmin),
    pods: [pod("web-0")],
    silentForMs: grace,
    want: "evict web-0",
  },
  { name: "back but not yet released: the taint stays", node: node(ours), silentForMs: 1_000, want: "none" },
  {
    name: "back and its fenced volumes released: the taint comes off",
    node: node(released),
    silentForMs: 1_000,
    want: "removeTaint",
  },
  {
    name: "released but silent again: the taint stays",
    node: node(released),
    silentForMs: grace,
    want: "none",
  },
  {
    name: "an admin's taint is never removed by us, released or not",
    node: node({ ...byAdmin, annotations: { [AnnFencedVolumesReleased]: "true" } }),
    silentForMs: 1_000,
    want: "none",
  },
  {
    name: "a healthy node tainted by an admin keeps its pods (no force delete while it can still stop them)",
    node: node(byAdmin),
    pods: [pod("web-0")],
    silentForMs: 1_000,
    want: "none",
  },
];

for (const c of cases) {
  test(c.name, () => {
    const step = fencingStep({
      node: c.node,
      pods: c.pods ?? [],
      silentForMs: c.silentForMs,
      graceMs: grace,
      anotherNodeHealthy: c.anotherNodeHealthy ?? true,
    });
    const got = step.kind === "evict" ? `evict ${step.pods.map((p) => p.metadata.name).join(",")}` : step.kind;
    assert.equal(got, c.want);
  });
}
