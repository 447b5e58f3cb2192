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

// ---- Constructors and formatting, as upstream's k8s.io/apimachinery/pkg/util/validation/field ------------

/** A field path built the way upstream's field.Path prints: "spec.volumes[0].name", "spec.capacity[storage]". */
export class FieldPath {
  private constructor(private readonly text: string) {}
  static root(name: string, ...more: string[]): FieldPath {
    return new FieldPath(name).child(...more);
  }
  child(...names: string[]): FieldPath {
    let text = this.text;
    for (const name of names) text = text === "" ? name : `${text}.${name}`;
    return new FieldPath(text);
  }
  index(i: number): FieldPath {
    return new FieldPath(`${this.text}[${i}]`);
  }
  key(k: string): FieldPath {
    return new FieldPath(`${this.text}[${k}]`);
  }
  toString(): string {
    return this.text;
  }
}

type Where = FieldPath | string;
const at = (path: Where): string => String(path);

export const required = (path: Where, detail = ""): FieldError => ({
  type: "FieldValueRequired",
  field: at(path),
  badValue: "",
  detail,
});
export const invalid = (path: Where, badValue: unknown, detail: string): FieldError => ({
  type: "FieldValueInvalid",
  field: at(path),
  badValue,
  detail,
});
/** upstream's field.NotSupported: the detail lists the valid values, each quoted. */
export const notSupported = (path: Where, badValue: unknown, valid: readonly string[]): FieldError => ({
  type: "FieldValueNotSupported",
  field: at(path),
  badValue,
  detail: valid.length ? `supported values: ${valid.map((v) => JSON.stringify(v)).join(", ")}` : "",
});
export const forbidden = (path: Where, detail: string): FieldError => ({
  type: "FieldValueForbidden",
  field: at(path),
  badValue: "",
  detail,
});
export const duplicate = (path: Where, badValue: unknown): FieldError => ({
  type: "FieldValueDuplicate",
  field: at(path),
  badValue,
  detail: "",
});
export const notFound = (path: Where, badValue: unknown): FieldError => ({
  type: "FieldValueNotFound",
  field: at(path),
  badValue,
  detail: "",
});
/** upstream's field.TooLong (the value itself is not echoed back). */
export const tooLong = (path: Where, maxLength: number): FieldError => ({
  type: "FieldValueTooLong",
  field: at(path),
  badValue: "<value omitted>",
  detail:
    maxLength >= 0 ? `may not be more than ${maxLength} ${maxLength === 1 ? "byte" : "bytes"}` : "value is too long",
});
export const tooMany = (path: Where, actual: number, max: number): FieldError => ({
  type: "FieldValueTooMany",
  field: at(path),
  badValue: actual,
  detail: max >= 0 ? `must have at most ${max} items` : "has too many items",
});

const typeText: Record<FieldErrorType, string> = {
  FieldValueRequired: "Required value",
  FieldValueInvalid: "Invalid value",
  FieldValueNotSupported: "Unsupported value",
  FieldValueForbidden: "Forbidden",
  FieldValueDuplicate: "Duplicate value",
  FieldValueTooLong: "Too long",
  FieldValueTooMany: "Too many",
  FieldValueTypeInvalid: "Invalid value",
  FieldValueNotFound: "Not found",
  InternalError: "Internal error",
};

/** upstream's Error.ErrorBody(): `Invalid value: "x": detail` (the cause message of a 422). */
export function fieldErrorBody(error: FieldError): string {
  let body = typeText[error.type];
  const bare = ["FieldValueRequired", "FieldValueForbidden", "FieldValueTooLong", "InternalError"];
  if (!bare.includes(error.type)) {
    const value = error.badValue;
    if (value === undefined || value === null) body += ": null";
    else if (typeof value === "string") body += `: ${JSON.stringify(value)}`;
    else if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") body += `: ${value}`;
    else body += `: ${JSON.stringify(value)}`;
  }
  if (error.detail) body += `: ${error.detail}`;
  return body;
}

/** upstream's Error.Error(): "spec.accessModes: Required value". */
export function fieldErrorMessage(error: FieldError): string {
  return `${error.field}: ${fieldErrorBody(error)}`;
}

/**
 * The message of upstream's NewInvalid: `PersistentVolumeClaim "data" is invalid: spec.x: Required value`, or with
 * several distinct errors `… is invalid: [a, b]`. `kind` is qualified for non-core groups ("StorageClass.storage.k8s.io").
 */
export function invalidMessage(group: string, kind: string, name: string, errors: FieldError[]): string {
  const qualified = group ? `${kind}.${group}` : kind;
  const messages = [...new Set(errors.map(fieldErrorMessage))];
  if (messages.length === 0) return `${qualified} ${JSON.stringify(name)} is invalid`;
  const aggregate = messages.length === 1 ? messages[0] : `[${messages.join(", ")}]`;
  return `${qualified} ${JSON.stringify(name)} is invalid: ${aggregate}`;
}
