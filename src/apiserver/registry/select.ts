// Label and field selection of stored objects: which fields a kind can be selected by, and matching.
import type { KubeObject } from "../../api/meta.js";
import type { ResourceDefinition } from "../../api/resource.js";
import { convertFieldSelector } from "../../api/selectors/fieldlabels.js";
import type { FieldMatcher } from "../../api/selectors/fields.js";
import { parseFieldSelector, SelectorParseError } from "../../api/selectors/fields.js";
import type { LabelMatcher } from "../../api/selectors/labels.js";
import { parseLabelSelector } from "../../api/selectors/labels.js";
import { badRequest } from "../errors.js";

export interface Selection {
  label?: LabelMatcher;
  field?: FieldMatcher;
}

export const selectsEverything = (s: Selection): boolean => (!s.label || s.label.empty) && (!s.field || s.field.empty);

/** Parses ?labelSelector= and ?fieldSelector= as upstream does, refusing unknown fields for the kind with 400. */
export function parseSelection(def: ResourceDefinition, labelText: string | null, fieldText: string | null): Selection {
  const selection: Selection = {};
  try {
    if (labelText) selection.label = parseLabelSelector(labelText);
    if (fieldText) selection.field = convertFieldSelector(parseFieldSelector(fieldText), def);
  } catch (err) {
    if (err instanceof SelectorParseError) throw badRequest(err.message);
    throw err;
  }
  return selection;
}

export function objectFields(def: ResourceDefinition, object: KubeObject): Record<string, string> {
  const fields: Record<string, string> = { "metadata.name": object.metadata.name ?? "" };
  if (def.namespaced) fields["metadata.namespace"] = object.metadata.namespace ?? "";
  return { ...fields, ...(def.selectableFields?.(object) ?? {}) };
}

export function matches(def: ResourceDefinition, selection: Selection, object: KubeObject): boolean {
  if (selection.label && !selection.label.empty && !selection.label.matches(object.metadata.labels)) return false;
  if (selection.field && !selection.field.empty && !selection.field.matches(objectFields(def, object))) return false;
  return true;
}
