// One row per case of upstream's tryUpdateNodeHealth (node_lifecycle_controller_test.go TestMonitorNodeHealth*).
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Node, NodeCondition } from "../../api/core/types.js";
import type { Lease } from "../../api/coordination/types.js";
import { formatTime, tryUpdateNodeHealth, type NodeHealth } from "./health.js";

const t0 = Date.parse("2026-01-01T00:00:00Z");
const s = (seconds: number) => t0 + seconds * 1000;
const options = { gracePeriodMs: 40_000, startupGracePeriodMs: 60_000 };

function cond(type: string, status: NodeCondition["status"], heartbeat = 0): NodeCondition {
  return {
    type,
    status,
    lastHeartbeatTime: formatTime(s(heartbeat)),
    lastTransitionTime: formatTime(s(0)),
    reason: `Kubelet${type}`,
    message: `${type} message`,
  };
}
const node = (conditions?: NodeCondition[]): Node => ({
  apiVersion: "v1",
  kind: "Node",
  metadata: { name: "n", creationTimestamp: formatTime(s(0)) },
  spec: {},
  status: conditions ? { conditions } : undefined,
});
const healthy = (heartbeat = 0) => node([cond("MemoryPressure", "False", heartbeat), cond("Ready", "True", heartbeat)]);
const lease = (renewSeconds: number): Lease => ({
  apiVersion: "coordination.k8s.io/v1",
  kind: "Lease",
  metadata: { name: "n", namespace: "kube-node-lease" },
  spec: { renewTime: new Date(s(renewSeconds)).toISOString().replace("Z", "000Z") },
});
const seen = (probe: number, n: Node, renew?: number): NodeHealth => ({
  probeTimestamp: s(probe),
  readyTransitionTimestamp: s(0),
  ready: n.status?.conditions?.find((c) => c.type === "Ready"),
  leaseRenewTime: renew === undefined ? undefined : lease(renew).spec?.renewTime,
});

const statusOf = (d: ReturnType<typeof tryUpdateNodeHealth>, type: string) =>
  d.status?.conditions?.find((c) => c.type === type);

test("a node seen for the first time gets a full grace period from now, whatever its heartbeat says", () => {
  const d = tryUpdateNodeHealth(healthy(0), undefined, undefined, s(100), options);
  assert.equal(d.status, undefined);
  assert.equal(d.health.probeTimestamp, s(100));
});

test("a node whose status and lease are silent for the grace period has every kubelet condition set Unknown", () => {
  const n = healthy(0);
  const d = tryUpdateNodeHealth(n, seen(0, n), undefined, s(41), options);
  assert.deepEqual(statusOf(d, "Ready"), {
    type: "Ready",
    status: "Unknown",
    reason: "NodeStatusUnknown",
    message: "Kubelet stopped posting node status.",
    lastHeartbeatTime: formatTime(s(0)),
    lastTransitionTime: formatTime(s(41)),
  });
  assert.equal(statusOf(d, "MemoryPressure")?.status, "Unknown");
  assert.equal(statusOf(d, "MemoryPressure")?.reason, "NodeStatusUnknown");
  // Conditions the node never posted are added as never updated.
  assert.deepEqual(
    ["DiskPressure", "PIDPressure"].map((type) => [statusOf(d, type)?.status, statusOf(d, type)?.reason]),
    [
      ["Unknown", "NodeStatusNeverUpdated"],
      ["Unknown", "NodeStatusNeverUpdated"],
    ],
  );
  assert.equal(statusOf(d, "DiskPressure")?.message, "Kubelet never posted node status.");
  assert.equal(d.observedReady.status, "True");
  assert.equal(d.currentReady?.status, "Unknown");
});

test("within the grace period nothing is written", () => {
  const n = healthy(0);
  assert.equal(tryUpdateNodeHealth(n, seen(0, n), undefined, s(40), options).status, undefined);
});

test("a renewed lease keeps a node whose status is old alive", () => {
  const n = healthy(0);
  const d = tryUpdateNodeHealth(n, seen(0, n, 0), lease(30), s(50), options);
  assert.equal(d.status, undefined);
  assert.equal(d.health.probeTimestamp, s(50));
});

test("a lease that was not renewed since the last pass is no heartbeat", () => {
  const n = healthy(0);
  const d = tryUpdateNodeHealth(n, seen(0, n, 0), lease(0), s(50), options);
  assert.equal(d.currentReady?.status, "Unknown");
});

test("a new status heartbeat counts even without a lease", () => {
  const before = healthy(0);
  const d = tryUpdateNodeHealth(healthy(45), seen(0, before), undefined, s(50), options);
  assert.equal(d.status, undefined);
  assert.equal(d.health.probeTimestamp, s(50));
});

test("a node already Unknown is not written again", () => {
  const n = node([{ ...cond("Ready", "Unknown"), reason: "NodeStatusUnknown" }]);
  const d = tryUpdateNodeHealth(n, seen(0, n), undefined, s(100), options);
  assert.equal(d.status, undefined);
  assert.equal(d.currentReady?.status, "Unknown");
});

test("a node that never posted status is Unknown only after the startup grace period from its creation", () => {
  assert.equal(tryUpdateNodeHealth(node(), undefined, undefined, s(59), options).status, undefined);
  const d = tryUpdateNodeHealth(node(), undefined, undefined, s(61), options);
  assert.equal(statusOf(d, "Ready")?.reason, "NodeStatusNeverUpdated");
  assert.equal(d.observedReady.status, "Unknown");
});
