// kube-apiserver's --max-requests-inflight and --max-mutating-requests-inflight (WithMaxInFlightLimit) and
// --request-timeout (WithTimeoutForNonLongRunningRequests): at most 400 read-only and 200 mutating requests are
// served at once, each for at most 60 s; one more is a 429 with Retry-After. Long-running requests — watches and
// the log, exec, attach, portforward and proxy subresources — are neither counted nor timed, as upstream's
// BasicLongRunningRequestCheck decides; nor is system:masters, so an admin can still act on an overloaded server.
import { createHash } from "node:crypto";
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
  /** Watches (and other long-running requests but exec) one client may hold open at once (default 1000). */
  maxWatchesPerClient?: number;
  /** exec sessions one client may hold open at once (default 100). */
  maxExecSessionsPerClient?: number;
}

/**
 * Who a request is from, for per-client caps: its verified certificate's user, else its bearer token (hashed),
 * else its address. (Authentication comes later; this only needs to tell clients apart.)
 */
export function clientKey(
  certificate: ClientCertificate | undefined,
  authorization: string | undefined,
  remoteAddress: string | undefined,
): string {
  if (certificate?.verified) return `user:${certificate.commonName}`;
  if (authorization) return `token:${createHash("sha256").update(authorization).digest("hex").slice(0, 16)}`;
  return `address:${remoteAddress ?? "?"}`;
}

/** At most `max` open at once per client: a stuck or hostile client cannot hold all of the server's memory. */
export class PerClientCap {
  private readonly open = new Map<string, number>();

  constructor(
    private readonly max: number,
    private readonly what: string,
  ) {}

  /** Takes one for `client`, or throws 429; returns its release (idempotent). */
  take(client: string): () => void {
    const count = this.open.get(client) ?? 0;
    if (this.max > 0 && count >= this.max)
      throw new StatusError(
        429,
        "TooManyRequests",
        `Too many requests: this client already has ${count} ${this.what} open (at most ${this.max}); close some first`,
        { retryAfterSeconds: 1 },
      );
    this.open.set(client, count + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.open.get(client) ?? 1) - 1;
      if (left > 0) this.open.set(client, left);
      else this.open.delete(client);
    };
  }
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
  readonly watches: PerClientCap;
  readonly execSessions: PerClientCap;

  constructor(limits: RequestLimits = {}) {
    this.maxReadOnly = limits.maxRequestsInflight ?? 400;
    this.maxMutating = limits.maxMutatingRequestsInflight ?? 200;
    this.timeoutMs = limits.requestTimeoutMs ?? 60_000;
    this.watches = new PerClientCap(limits.maxWatchesPerClient ?? 1000, "watches");
    this.execSessions = new PerClientCap(limits.maxExecSessionsPerClient ?? 100, "exec sessions");
  }

  /**
   * Takes a seat for a request, or throws 429: `seat` releases it (idempotent). A long-running request takes no
   * seat but one of its client's watches (`stream`). system:masters takes neither.
   */
  admit(
    method: string,
    path: string,
    query: URLSearchParams,
    certificate: ClientCertificate | undefined,
    client: string,
  ): { seat?: () => void; stream?: () => void } {
    const masters = certificate?.verified === true && certificate.organizations.includes("system:masters");
    if (isLongRunning(path, query)) return masters ? {} : { stream: this.watches.take(client) };
    if (masters) return {};
    const isMutating = mutating.has(method);
    const limit = isMutating ? this.maxMutating : this.maxReadOnly;
    const current = isMutating ? this.mutatingCount : this.readOnly;
    if (limit > 0 && current >= limit) throw tooManyRequests();
    if (isMutating) this.mutatingCount++;
    else this.readOnly++;
    let released = false;
    const seat = () => {
      if (released) return;
      released = true;
      if (isMutating) this.mutatingCount--;
      else this.readOnly--;
    };
    return { seat };
  }

  /** Requests being served now, for tests and health checks. */
  get inFlight(): { readOnly: number; mutating: number } {
    return { readOnly: this.readOnly, mutating: this.mutatingCount };
  }
}
