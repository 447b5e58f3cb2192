// Lease rules and row as upstream (pkg/apis/coordination/validation, printLease).
import assert from "node:assert/strict";
import test from "node:test";
import { fieldErrorMessage } from "../field.js";
import { leases } from "./lease.js";
import type { Lease } from "./types.js";

test("a lease's duration must be positive and its transitions non-negative", () => {
  const lease: Lease = {
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: {
      name: "stowage-controller-manager",
      namespace: "kube-system",
      creationTimestamp: "2026-01-01T00:00:00Z",
    },
    spec: { holderIdentity: "host-a_1234", leaseDurationSeconds: 0, leaseTransitions: -1 },
  };
  assert.deepEqual(leases.validateCreate(lease).map(fieldErrorMessage), [
    "spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0",
    "spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0",
  ]);
  assert.deepEqual(leases.table.row(lease, new Date("2026-01-01T00:00:07Z")), [
    "stowage-controller-manager",
    "host-a_1234",
    "7s",
  ]);
});
