// The Kubernetes Status errors the apiserver sends, worded as upstream's k8s.io/apimachinery/pkg/api/errors.
// Everything the server throws on purpose is a StatusError; toStatus() is the one place errors become wire
// Statuses, and anything else is logged with its stack and answered as a 500 InternalError.
import { invalidMessage, type FieldError, fieldErrorBody } from "../api/field.js";
import type { Status, StatusCause, StatusDetails } from "../api/meta.js";
import { RequestTooLargeError } from "../store/store.js";

export type StatusReason =
  | "NotFound"
  | "AlreadyExists"
  | "Conflict"
  | "Gone"
  | "Expired"
  | "Invalid"
  | "BadRequest"
  | "Unauthorized"
  | "Forbidden"
  | "MethodNotAllowed"
  | "NotAcceptable"
  | "UnsupportedMediaType"
  | "RequestEntityTooLarge"
  | "Timeout"
  | "TooManyRequests"
  | "InternalError"
  | "ServiceUnavailable"
  // metav1.StatusReasonUnknown: what upstream sends for an error that is not a Status (a backend it cannot dial).
  | "";

/** A group and plural resource, printed as upstream's GroupResource.String(): "persistentvolumes", "storageclasses.storage.k8s.io". */
export interface GroupResource {
  group: string;
  resource: string;
}
export const groupResourceString = (gr: GroupResource): string =>
  gr.group ? `${gr.resource}.${gr.group}` : gr.resource;

export class StatusError extends Error {
  constructor(
    readonly code: number,
    readonly reason: StatusReason,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
  }
  toStatus(): Status {
    const status: Status = {
      apiVersion: "v1",
      kind: "Status",
      metadata: {},
      status: "Failure",
      message: this.message,
      ...(this.reason ? { reason: this.reason } : {}),
      code: this.code,
    };
    if (this.details) status.details = this.details;
    return status;
  }
}

const details = (gr: GroupResource, name: string): StatusDetails => {
  const d: StatusDetails = { name, kind: gr.resource };
  if (gr.group) d.group = gr.group;
  return d;
};

export const notFound = (gr: GroupResource, name: string): StatusError =>
  new StatusError(404, "NotFound", `${groupResourceString(gr)} "${name}" not found`, details(gr, name));

export const alreadyExists = (gr: GroupResource, name: string): StatusError =>
  new StatusError(409, "AlreadyExists", `${groupResourceString(gr)} "${name}" already exists`, details(gr, name));

export const conflict = (gr: GroupResource, name: string, why?: string): StatusError =>
  new StatusError(
    409,
    "Conflict",
    `Operation cannot be fulfilled on ${groupResourceString(gr)} "${name}": ${
      why ?? "the object has been modified; please apply your changes to the latest version and try again"
    }`,
    details(gr, name),
  );

/** 422 with one cause per field error: `PersistentVolumeClaim "data" is invalid: spec.x: Required value`. */
export function invalid(group: string, kind: string, name: string, errors: FieldError[]): StatusError {
  const causes: StatusCause[] = errors.map((e) => ({
    reason: e.type,
    message: fieldErrorBody(e),
    field: e.field,
  }));
  const d: StatusDetails = { name, kind, causes };
  if (group) d.group = group;
  return new StatusError(422, "Invalid", invalidMessage(group, kind, name, errors), d);
}

export const badRequest = (message: string): StatusError => new StatusError(400, "BadRequest", message);

export const gone = (message: string): StatusError => new StatusError(410, "Expired", message);

/** upstream's storage.NewTooLargeResourceVersionError / "too old resource version: X (Y)" as a 410 Gone. */
export const tooOldResourceVersion = (requested: number, current: number): StatusError =>
  new StatusError(410, "Expired", `too old resource version: ${requested} (${current})`);

export const methodNotSupported = (gr: GroupResource, action: string): StatusError =>
  new StatusError(
    405,
    "MethodNotAllowed",
    `${action} is not supported on resources of kind "${groupResourceString(gr)}"`,
    {
      kind: gr.resource,
      ...(gr.group ? { group: gr.group } : {}),
    },
  );

export const unsupportedMediaType = (contentType: string, supported: string[]): StatusError =>
  new StatusError(
    415,
    "UnsupportedMediaType",
    `the body of the request was in an unknown format - accepted media types include: ${supported.join(", ")}`,
    { causes: [{ reason: "UnsupportedMediaType", message: contentType }] },
  );

export const notAcceptable = (supported: string[]): StatusError =>
  new StatusError(406, "NotAcceptable", `only the following media types are accepted: ${supported.join(", ")}`);

export const entityTooLarge = (): StatusError =>
  new StatusError(413, "RequestEntityTooLarge", "Request entity too large: limit is 3145728");

export const forbidden = (gr: GroupResource, name: string, why: string): StatusError =>
  new StatusError(403, "Forbidden", `${groupResourceString(gr)} "${name}" is forbidden: ${why}`, details(gr, name));

export const internalError = (message: string): StatusError =>
  new StatusError(500, "InternalError", `Internal error occurred: ${message}`, {
    causes: [{ message }],
  });

/** Route unexpected failures through here: logged with stack, sent without it. */
export function toStatusError(err: unknown, log: (message: string, err: unknown) => void): StatusError {
  if (err instanceof StatusError) return err;
  // Not a Status upstream either: ErrorToAPIStatus passes etcd's text on as a 500 with no reason.
  if (err instanceof RequestTooLargeError) return new StatusError(500, "", err.message);
  log("unexpected error while serving a request", err);
  return internalError(err instanceof Error ? err.message : String(err));
}
