// coordination.k8s.io/v1 Lease: validation and table as upstream (pkg/apis/coordination/validation, printLease).
import { FieldPath, invalid } from "../field.js";
import type { FieldError } from "../field.js";
import type { ResourceDefinition } from "../resource.js";
import { ageColumn, column, nameColumn, translateTimestampSince } from "../table.js";
import { validateObjectMeta, validateObjectMetaUpdate } from "../validation/meta.js";
import { nameIsDNSSubdomain } from "../validation/names.js";
import { standardVerbs } from "../verbs.js";
import type { Lease } from "./types.js";

function validateLease(lease: Lease): FieldError[] {
  const errs = validateObjectMeta(lease.metadata, true, nameIsDNSSubdomain);
  const path = FieldPath.root("spec");
  const duration = lease.spec?.leaseDurationSeconds;
  if (duration !== undefined && duration <= 0)
    errs.push(invalid(path.child("leaseDurationSeconds"), duration, "must be greater than 0"));
  const transitions = lease.spec?.leaseTransitions;
  if (transitions !== undefined && transitions < 0) {
    errs.push(invalid(path.child("leaseTransitions"), transitions, "must be greater than or equal to 0"));
  }
  return errs;
}

export const leases: ResourceDefinition<Lease> = {
  group: "coordination.k8s.io",
  version: "v1",
  kind: "Lease",
  listKind: "LeaseList",
  plural: "leases",
  singular: "lease",
  shortNames: [],
  namespaced: true,
  hasStatus: false,
  verbs: standardVerbs,
  applyDefaults() {},
  validateCreate: validateLease,
  validateUpdate: (lease, old) => [...validateObjectMetaUpdate(lease.metadata, old.metadata), ...validateLease(lease)],
  table: {
    columns: [
      nameColumn,
      column("Holder", "string", "holderIdentity contains the identity of the holder of a current lease."),
      ageColumn,
    ],
    row: (lease, now) => [
      lease.metadata.name,
      lease.spec?.holderIdentity ?? "",
      translateTimestampSince(lease.metadata.creationTimestamp, now),
    ],
  },
};
