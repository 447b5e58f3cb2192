// Helpers for the snapshot.storage.k8s.io objects, which upstream serves as CRDs: their tables come from
// additionalPrinterColumns (rendered as apiextensions does) and part of their validation from CEL rules.
import { invalid } from "../field.js";
import type { FieldError, FieldPath } from "../field.js";
import type { KubeObject } from "../meta.js";
import type { ResourceDefinition, TableColumnDefinition } from "../resource.js";
import { crdCell, jsonPathValue, nameColumn } from "../table.js";

export const deletionPolicies = ["Delete", "Retain"];

/** A CRD column: its jsonPath, and the type apiextensions uses to render the cell. */
export interface CrdColumn {
  column: TableColumnDefinition;
  jsonPath: string;
}
export const crdColumn = (
  name: string,
  type: TableColumnDefinition["type"],
  jsonPath: string,
  description = "",
): CrdColumn => ({
  column: { name, type, description, priority: 0 },
  jsonPath,
});

export function crdTable<T extends KubeObject>(columns: CrdColumn[]): ResourceDefinition<T>["table"] {
  return {
    columns: [nameColumn, ...columns.map((c) => c.column)],
    row: (object, now) => [
      object.metadata.name,
      ...columns.map((c) => crdCell(c.column.type, jsonPathValue(object, c.jsonPath), now)),
    ],
  };
}

/** The "x is immutable" / "x is required once set" CEL rules on a one-of source. */
export function sourceRules(
  source: Record<string, unknown> | undefined,
  old: Record<string, unknown> | undefined,
  keys: string[],
  path: FieldPath,
): FieldError[] {
  const errs: FieldError[] = [];
  if (!source || !old) return errs;
  for (const key of keys) {
    if (old[key] !== undefined && source[key] === undefined)
      errs.push(invalid(path, "object", `${key} is required once set`));
    if (old[key] !== undefined && source[key] !== undefined && old[key] !== source[key]) {
      errs.push(invalid(path.child(key), source[key], `${key} is immutable`));
    }
  }
  return errs;
}
