// kube-apiserver's --max-requests-inflight and --max-mutating-requests-inflight (WithMaxInFlightLimit) and
// --request-timeout (WithTimeoutForNonLongRunningRequests): at most 400 read-only and 200 mutating requests are
// served at once, each for at most 60 s; one more is a 429 with Retry-After. Long-running requests — watches and
// the log, exec, attach, portforward and proxy subresources — are neither counted nor timed, as upstream's
// BasicLongRunningRequestCheck decides; nor is system:masters, so an admin can still act on an overloaded server.
import type { ClientCertificate, HttpMethod } from "../api/http.js";
import { StatusError } from "./errors.js";
import { parseResourcePath } from "./route.js";

export interface RequestLimits {
  /** --max-requests-inflight: read-only requests served at once (upstream default 400; 0 = no limit). */
  maxRequestsInflight?: number;
  /** --max-mutating-requests-inflight: creates, updates, patches and deletes at once (default 200; 0 = no limit). */
  maxMutatingRequestsInflight?: number;
  /** --request-timeout: how long a request that is not long-running may take (default 60 s; 0 = no limit). */
  requestTimeoutMs?: number;
}

const longRunningSubresources = new Set(["log", "exec", "attach", "portforward", "proxy"]);

/** upstream's BasicLongRunningRequestCheck(watch, proxy; attach, exec, proxy, log, portforward). */
export function isLongRunning(path: string, query: URLSearchParams): boolean {
  const watch = query.get("watch");
  if (watch === "true" || watch === "1") return true;
  let route;
  try {
    route = parseResourcePath(path);
  } catch {
    return false; // a malformed path is answered at once
  }
  return route !== undefined && (route.watchPath || longRunningSubresources.has(route.subresource ?? ""));
}

const mutating = new Set<HttpMethod | string>(["POST", "PUT", "PATCH", "DELETE"]);

/** upstream's tooManyRequests answer, as a Status (client-go retries it after Retry-After either way). */
export const tooManyRequests = (): StatusError =>
  new StatusError(429, "TooManyRequests", "Too many requests, please try again later.", { retryAfterSeconds: 1 });

/** apierrors.NewTimeoutError as the timeout filter words it. */
export const requestTimedOut = (): StatusError =>
  new StatusError(504, "Timeout", "request did not complete within requested timeout - context deadline exceeded", {
    retryAfterSeconds: 0,
  });

export class InFlightLimiter {
  private readOnly = 0;
  private mutatingCount = 0;
  private readonly maxReadOnly: number;
  private readonly maxMutating: number;
  readonly timeoutMs: number;

  constructor(limits: RequestLimits = {}) {
    this.maxReadOnly = limits.maxRequestsInflight ?? 400;
    this.maxMutating = limits.maxMutatingRequestsInflight ?? 200;
    this.timeoutMs = limits.requestTimeoutMs ?? 60_000;
  }

  /**
   * Takes a seat for a request, or throws 429. Returns the seat's release (idempotent), or undefined when the
   * request is not counted (long-running, or from system:masters).
   */
  admit(
    method: string,
    path: string,
    query: URLSearchParams,
    certificate: ClientCertificate | undefined,
  ): (() => void) | undefined {
    if (isLongRunning(path, query)) return undefined;
    if (certificate?.verified && certificate.organizations.includes("system:masters")) return undefined;
    const isMutating = mutating.has(method);
    const limit = isMutating ? this.maxMutating : this.maxReadOnly;
    const current = isMutating ? this.mutatingCount : this.readOnly;
    if (limit > 0 && current >= limit) throw tooManyRequests();
    if (isMutating) this.mutatingCount++;
    else this.readOnly++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (isMutating) this.mutatingCount--;
      else this.readOnly--;
    };
  }

  /** Requests being served now, for tests and health checks. */
  get inFlight(): { readOnly: number; mutating: number } {
    return { readOnly: this.readOnly, mutating: this.mutatingCount };
  }
}
