// storage.k8s.io/v1 CSINode: validation and table as upstream (pkg/apis/storage/validation, printCSINode).
import { FieldPath, duplicate, invalid, required, tooLong } from "../field.js";
import type { FieldError } from "../field.js";
import { validateCSIDriverName } from "../core/validate-volumes.js";
import type { ResourceDefinition } from "../resource.js";
import { ageColumn, column, nameColumn, translateTimestampSince } from "../table.js";
import { validateImmutableField, validateObjectMeta, validateObjectMetaUpdate } from "../validation/meta.js";
import { isQualifiedName, nameIsDNSSubdomain } from "../validation/names.js";
import { standardVerbs } from "../verbs.js";
import type { CSINode } from "./types.js";

const csiNodeIDMaxLength = 256;

function validateCSINode(node: CSINode): FieldError[] {
  const errs = validateObjectMeta(node.metadata, false, nameIsDNSSubdomain);
  const names = new Set<string>();
  (node.spec?.drivers ?? []).forEach((driver, i) => {
    const path = FieldPath.root("spec", "drivers").index(i);
    errs.push(...validateCSIDriverName(driver.name, path.child("name")));
    if (!driver.nodeID) errs.push(required(path.child("nodeID")));
    if ((driver.nodeID ?? "").length > csiNodeIDMaxLength) errs.push(tooLong(path.child("nodeID"), csiNodeIDMaxLength));
    if (driver.allocatable?.count !== undefined && driver.allocatable.count < 0) {
      errs.push(
        invalid(path.child("allocatable", "count"), driver.allocatable.count, "must be greater than or equal to 0"),
      );
    }
    if (names.has(driver.name)) errs.push(duplicate(path.child("name"), driver.name));
    names.add(driver.name);
    const keys = new Set<string>();
    for (const key of driver.topologyKeys ?? []) {
      if (!key) errs.push(required(path, key));
      if (keys.has(key)) errs.push(duplicate(path, key));
      keys.add(key);
      for (const msg of isQualifiedName(key)) errs.push(invalid(path, key, msg));
    }
  });
  return errs;
}

export const csiNodes: ResourceDefinition<CSINode> = {
  group: "storage.k8s.io",
  version: "v1",
  kind: "CSINode",
  listKind: "CSINodeList",
  plural: "csinodes",
  singular: "csinode",
  shortNames: [],
  namespaced: false,
  hasStatus: false,
  verbs: standardVerbs,
  applyDefaults(node) {
    node.spec ??= { drivers: [] };
    node.spec.drivers ??= [];
  },
  validateCreate: validateCSINode,
  validateUpdate(node, old) {
    const errs = [...validateObjectMetaUpdate(node.metadata, old.metadata), ...validateCSINode(node)];
    // a registered driver's nodeID and topology keys never change while it stays registered
    (node.spec?.drivers ?? []).forEach((driver, i) => {
      const before = (old.spec?.drivers ?? []).find((d) => d.name === driver.name);
      if (!before) return;
      const path = FieldPath.root("spec", "drivers").index(i);
      errs.push(...validateImmutableField(driver.nodeID, before.nodeID, path.child("nodeID")));
      errs.push(
        ...validateImmutableField(driver.topologyKeys ?? null, before.topologyKeys ?? null, path.child("topologyKeys")),
      );
    });
    return errs;
  },
  table: {
    columns: [
      nameColumn,
      column("Drivers", "integer", "Drivers indicates the number of CSI drivers registered on the node"),
      ageColumn,
    ],
    row: (node, now) => [
      node.metadata.name,
      node.spec?.drivers?.length ?? 0,
      translateTimestampSince(node.metadata.creationTimestamp, now),
    ],
  },
};
