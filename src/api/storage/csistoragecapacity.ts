// storage.k8s.io/v1 CSIStorageCapacity: validation and table as upstream (no AGE column, as upstream prints it).
import { FieldPath, invalid } from "../field.js";
import type { FieldError } from "../field.js";
import { parseQuantityField, validateNonnegativeQuantity } from "../core/validate-volumes.js";
import type { ResourceDefinition } from "../resource.js";
import { column, nameColumn } from "../table.js";
import {
  validateImmutableField,
  validateLabelSelector,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from "../validation/meta.js";
import { nameIsDNSSubdomain } from "../validation/names.js";
import { standardVerbs } from "../verbs.js";
import type { CSIStorageCapacity } from "./types.js";

function validateCSIStorageCapacity(capacity: CSIStorageCapacity): FieldError[] {
  const errs = validateObjectMeta(capacity.metadata, true, nameIsDNSSubdomain);
  errs.push(...validateLabelSelector(capacity.nodeTopology, FieldPath.root("nodeTopology")));
  for (const msg of nameIsDNSSubdomain(capacity.storageClassName ?? "", false)) {
    errs.push(invalid(FieldPath.root("storageClassName"), capacity.storageClassName ?? "", msg));
  }
  for (const key of ["capacity", "maximumVolumeSize"] as const) {
    if (capacity[key] === undefined) continue;
    const q = parseQuantityField(capacity[key], FieldPath.root(key), errs);
    if (q) errs.push(...validateNonnegativeQuantity(q, FieldPath.root(key)));
  }
  return errs;
}

export const csiStorageCapacities: ResourceDefinition<CSIStorageCapacity> = {
  group: "storage.k8s.io",
  version: "v1",
  kind: "CSIStorageCapacity",
  listKind: "CSIStorageCapacityList",
  plural: "csistoragecapacities",
  singular: "csistoragecapacity",
  shortNames: [],
  namespaced: true,
  hasStatus: false,
  verbs: standardVerbs,
  applyDefaults() {},
  validateCreate: validateCSIStorageCapacity,
  validateUpdate: (capacity, old) => [
    ...validateObjectMetaUpdate(capacity.metadata, old.metadata),
    ...validateCSIStorageCapacity(capacity),
    ...validateImmutableField(capacity.nodeTopology, old.nodeTopology, FieldPath.root("nodeTopology")),
    ...validateImmutableField(capacity.storageClassName, old.storageClassName, FieldPath.root("storageClassName")),
  ],
  table: {
    // upstream prints no AGE column for CSIStorageCapacity
    columns: [
      nameColumn,
      column(
        "StorageClassName",
        "string",
        "storageClassName represents the name of the StorageClass that the reported capacity applies to.",
      ),
      column(
        "Capacity",
        "string",
        "capacity is the value reported by the CSI driver in its GetCapacityResponse for a GetCapacityRequest with topology and parameters that match the previous fields.",
      ),
    ],
    row: (capacity) => [
      capacity.metadata.name,
      capacity.storageClassName ?? "",
      capacity.capacity === undefined ? "<unset>" : quantityText(capacity.capacity),
    ],
  },
};

function quantityText(text: string): string {
  const errs: FieldError[] = [];
  return parseQuantityField(text, FieldPath.root("capacity"), errs)?.toString() ?? text;
}
