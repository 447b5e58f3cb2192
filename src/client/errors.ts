// The client's one error class for answers from the apiserver: a meta/v1 Status turned into an ApiError, so
// callers branch on `isConflict(err)` etc. and never on message text.
import type { Status, StatusDetails } from "../api/meta.js";

/** Upstream's StatusReason values (k8s.io/apimachinery/pkg/apis/meta/v1/types.go) the client branches on. */
export type StatusReason =
  | "NotFound"
  | "AlreadyExists"
  | "Conflict"
  | "Gone"
  | "Invalid"
  | "BadRequest"
  | "Forbidden"
  | "Unauthorized"
  | "MethodNotAllowed"
  | "NotAcceptable"
  | "UnsupportedMediaType"
  | "Timeout"
  | "ServerTimeout"
  | "TooManyRequests"
  | "Expired"
  | "RequestEntityTooLarge"
  | "InternalError"
  | "ServiceUnavailable"
  | "Unknown"
  | (string & {});

/** A Failure answer from the apiserver (or a malformed answer, as code 0 / reason "Unknown"). */
export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    readonly code: number,
    readonly reason: StatusReason,
    message: string,
    readonly details?: StatusDetails,
    /** The Status exactly as received, when there was one. */
    readonly status?: Status,
  ) {
    super(message);
  }

  /** Builds the error from a response's status code and body, whatever shape the body has. */
  static fromResponse(httpStatus: number, body: Uint8Array): ApiError {
    const text = new TextDecoder().decode(body);
    const status = parseStatus(text);
    if (status) {
      return new ApiError(
        status.code || httpStatus,
        status.reason || reasonForCode(httpStatus),
        status.message ?? text,
        status.details,
        status,
      );
    }
    // Not a Status (a proxy's HTML page, plain text): keep the text, derive the reason from the code as
    // client-go's newUnstructuredResponseError does.
    const message =
      text.trim() || `the server responded with the status code ${httpStatus} but did not return more information`;
    return new ApiError(httpStatus, reasonForCode(httpStatus), message);
  }

  /** A meta/v1 Status found inside a watch ERROR event. */
  static fromStatus(status: Status): ApiError {
    return new ApiError(
      status.code,
      status.reason || reasonForCode(status.code),
      status.message ?? "",
      status.details,
      status,
    );
  }
}

function parseStatus(text: string): Status | undefined {
  try {
    const value: unknown = JSON.parse(text);
    if (isStatus(value)) return value;
  } catch {
    // not JSON
  }
  return undefined;
}

export function isStatus(value: unknown): value is Status {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as { kind?: unknown }).kind === "Status" &&
    typeof (value as { code?: unknown }).code === "number"
  );
}

/** client-go's reasonForCode: what a bare status code means when the body says nothing. */
export function reasonForCode(code: number): StatusReason {
  switch (code) {
    case 400:
      return "BadRequest";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "NotFound";
    case 405:
      return "MethodNotAllowed";
    case 406:
      return "NotAcceptable";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 413:
      return "RequestEntityTooLarge";
    case 415:
      return "UnsupportedMediaType";
    case 422:
      return "Invalid";
    case 429:
      return "TooManyRequests";
    case 500:
      return "InternalError";
    case 503:
      return "ServiceUnavailable";
    case 504:
      return "Timeout";
    default:
      return "Unknown";
  }
}

function reasonIs(err: unknown, reason: StatusReason, code: number): boolean {
  if (!(err instanceof ApiError)) return false;
  // As apierrors.ReasonForError plus the code fallback: a Status without a reason still counts by its code.
  return err.reason === reason || (err.reason === "Unknown" && err.code === code);
}

export const isNotFound = (err: unknown): boolean => reasonIs(err, "NotFound", 404);
export const isAlreadyExists = (err: unknown): boolean => reasonIs(err, "AlreadyExists", 409);
export const isConflict = (err: unknown): boolean => reasonIs(err, "Conflict", 409);
/** 410: a watch or list from a resourceVersion that compaction removed ("Expired" is the list-continue flavour). */
export const isGone = (err: unknown): boolean =>
  reasonIs(err, "Gone", 410) || reasonIs(err, "Expired", 410) || (err instanceof ApiError && err.code === 410);
export const isInvalid = (err: unknown): boolean => reasonIs(err, "Invalid", 422);
/**
 * client-go's isTooLargeResourceVersionError: the server is behind the resourceVersion asked for (its store was
 * restored or reset, or it is another server that has not caught up): the ResourceVersionTooLarge cause, or an
 * older server's 504 saying so. Watching on from that version would wait forever; only a fresh list helps.
 */
export const isTooLargeResourceVersion = (err: unknown): boolean =>
  err instanceof ApiError &&
  ((err.details?.causes ?? []).some((c) => c.reason === "ResourceVersionTooLarge") ||
    (err.code === 504 && err.message.includes("Too large resource version")));
export const isForbidden = (err: unknown): boolean => reasonIs(err, "Forbidden", 403);
export const isBadRequest = (err: unknown): boolean => reasonIs(err, "BadRequest", 400);
export const isTooManyRequests = (err: unknown): boolean => reasonIs(err, "TooManyRequests", 429);
