import assert from "node:assert/strict";
import { test } from "node:test";
import type { Event, PersistentVolumeClaim } from "../api/core/types.js";
import type { VolumeSnapshot } from "../api/snapshot/types.js";
import { claimTimeline } from "./timeline.js";

const claim = {
  apiVersion: "v1",
  kind: "PersistentVolumeClaim",
  metadata: { name: "data", namespace: "default", creationTimestamp: "2026-01-01T00:00:00Z" },
  spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "2Gi" } } },
  status: {
    phase: "Bound",
    conditions: [{ type: "FileSystemResizePending", status: "True", lastTransitionTime: "2026-01-01T00:00:30Z" }],
  },
} as PersistentVolumeClaim;

const event = (reason: string, at: string, type = "Normal", name = "data") =>
  ({
    apiVersion: "v1",
    kind: "Event",
    metadata: { name: `${name}.${reason}`, namespace: "default" },
    involvedObject: { kind: "PersistentVolumeClaim", name, namespace: "default" },
    reason,
    message: `${reason} happened`,
    type,
    lastTimestamp: at,
  }) as Event;

const snapshot = (name: string, source: string, at: string) =>
  ({
    apiVersion: "snapshot.storage.k8s.io/v1",
    kind: "VolumeSnapshot",
    metadata: { name, namespace: "default", creationTimestamp: at },
    spec: { source: { persistentVolumeClaimName: source } },
    status: { readyToUse: true, restoreSize: "1Gi" },
  }) as VolumeSnapshot;

test("a claim's timeline runs from its creation through events, conditions, phases and snapshots, oldest first", () => {
  const entries = claimTimeline(
    claim,
    [
      event("Resizing", "2026-01-01T00:00:20Z"),
      event("ProvisioningSucceeded", "2026-01-01T00:00:05Z"),
      event("Other", "2026-01-01T00:00:01Z", "Normal", "other"),
    ],
    [snapshot("before-resize", "data", "2026-01-01T00:00:10Z"), snapshot("not-ours", "other", "2026-01-01T00:00:11Z")],
    [{ time: "2026-01-01T00:00:06Z", phase: "Bound" }],
  );
  assert.deepEqual(
    entries.map((e) => `${e.kind}: ${e.text}`),
    [
      "Created: claim default/data created",
      "Event: ProvisioningSucceeded: ProvisioningSucceeded happened",
      "Phase: phase Bound",
      "Snapshot: snapshot before-resize (ready to use, restore size 1Gi)",
      "Event: Resizing: Resizing happened",
      "Condition: FileSystemResizePending True",
    ],
  );
});
