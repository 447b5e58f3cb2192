// Parsed request options the registry acts on (the HTTP layer parses query strings and bodies into these).
import type { FieldMatcher } from "../../api/selectors/fields.js";
import type { LabelMatcher } from "../../api/selectors/labels.js";
import type { UserInfo } from "../../api/user.js";

export interface WriteOptions {
  /** dryRun=All: run every step (defaults, admission, validation) but write nothing. */
  dryRun: boolean;
  /** Who asks, for admission; absent for the apiserver's own writes (bootstrap policy, namespace cleanup). */
  user?: UserInfo;
  /** Where admission leaves the response's Warning headers (upstream's warning.AddWarning). */
  warnings?: string[];
  /** Where admission leaves audit annotations for this request (upstream's Attributes.AddAnnotation). */
  auditAnnotations?: Record<string, string>;
  /** The request's field manager (fieldManager, else the User-Agent's product): the write's managedFields entry. */
  fieldManager?: string;
  /** Server-side apply already computed the object's managedFields: keep them as they are. */
  managedFieldsSet?: boolean;
}

export type PropagationPolicy = "Orphan" | "Background" | "Foreground";

export interface DeleteOptions extends WriteOptions {
  propagationPolicy?: PropagationPolicy;
  preconditions?: { uid?: string; resourceVersion?: string };
  gracePeriodSeconds?: number;
  /** The deprecated orphanDependents: false, which (only) changes the answer of a pending delete to 202. */
  orphanDependentsFalse?: boolean;
}

export interface ListOptions {
  labelSelector?: LabelMatcher;
  fieldSelector?: FieldMatcher;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: "Exact" | "NotOlderThan";
}

export interface WatchOptions {
  labelSelector?: LabelMatcher;
  fieldSelector?: FieldMatcher;
  resourceVersion?: string;
  /** Start with a synthetic ADDED per existing object, then a bookmark marking their end. */
  sendInitialEvents?: boolean;
  signal: AbortSignal;
}
