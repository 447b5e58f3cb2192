// field.Error from upstream's apimachinery: one problem with one field, worded as Kubernetes words it.

export type FieldErrorType =
  | "FieldValueRequired"
  | "FieldValueInvalid"
  | "FieldValueNotSupported"
  | "FieldValueForbidden"
  | "FieldValueDuplicate"
  | "FieldValueTooLong"
  | "FieldValueTooMany"
  | "FieldValueTypeInvalid"
  | "FieldValueNotFound"
  | "InternalError";

export interface FieldError {
  type: FieldErrorType;
  /** e.g. "spec.resources.requests[storage]" */
  field: string;
  badValue?: unknown;
  /** upstream's detail text, e.g. "must be a valid DNS-1123 subdomain" */
  detail: string;
}
