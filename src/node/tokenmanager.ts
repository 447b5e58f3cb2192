// The kubelet's token manager (pkg/kubelet/token): ServiceAccount tokens for the pods on this node, requested
// through TokenRequest bound to the pod and cached per (ServiceAccount, audiences, lifetime, pod). A cached token is
// handed out until it needs a refresh — 80% of its lifetime gone, or 24 hours, less a jitter of up to 10 s so that
// a node's tokens are not all renewed in one instant — and, if a refresh fails, for as long as it has not expired.
// Tokens of a pod go when its volumes are torn down; expired ones when next looked at.
import type { Client, IssuedToken } from "../client/index.js";
import { createServiceAccountToken } from "../client/index.js";

const maxTTLMs = 24 * 3600_000;
const maxJitterMs = 10_000;

/** What a projected serviceAccountToken source asks for, for one pod. */
export interface ServiceAccountTokenRequest {
  namespace: string;
  serviceAccountName: string;
  /** Empty: the apiserver's own audiences. */
  audiences: string[];
  expirationSeconds: number;
  pod: { name: string; uid: string };
}

interface Cached {
  issued: IssuedToken;
  podUid: string;
  /** When requiresRefresh starts answering yes. */
  refreshAt: number;
}

const keyOf = (r: ServiceAccountTokenRequest): string =>
  JSON.stringify([r.namespace, r.serviceAccountName, r.audiences, r.expirationSeconds, r.pod.name, r.pod.uid]);

export type RequestToken = (request: ServiceAccountTokenRequest) => Promise<IssuedToken>;

/** TokenRequest bound to the pod, as the kubelet's projected volume asks for it. */
export const requestThrough =
  (client: Client): RequestToken =>
  (r) =>
    createServiceAccountToken(
      client,
      r.namespace,
      r.serviceAccountName,
      {
        audiences: r.audiences,
        expirationSeconds: r.expirationSeconds,
        boundObjectRef: { apiVersion: "v1", kind: "Pod", name: r.pod.name, uid: r.pod.uid },
      },
      { userAgent: "kubelet" },
    );

export class TokenManager {
  private readonly cache = new Map<string, Cached>();
  private readonly request: RequestToken;

  constructor(
    source: Client | RequestToken,
    private readonly now: () => number = Date.now,
    private readonly jitter: () => number = () => Math.random() * maxJitterMs,
  ) {
    this.request = typeof source === "function" ? source : requestThrough(source);
  }

  /** The cached token while it needs no refresh; else undefined (a projected volume then sets itself up again). */
  fresh(request: ServiceAccountTokenRequest): IssuedToken | undefined {
    const cached = this.cache.get(keyOf(request));
    return cached && this.now() < cached.refreshAt ? cached.issued : undefined;
  }

  /** GetServiceAccountToken: the cached token unless it needs a refresh; a failed refresh keeps an unexpired one. */
  async getServiceAccountToken(request: ServiceAccountTokenRequest): Promise<IssuedToken> {
    this.dropExpired();
    const key = keyOf(request);
    const cached = this.cache.get(key);
    if (cached && this.now() < cached.refreshAt) return cached.issued;
    try {
      const issued = await this.request(request);
      this.cache.set(key, { issued, podUid: request.pod.uid, refreshAt: this.refreshTime(issued) });
      return issued;
    } catch (err) {
      if (cached && this.now() < cached.issued.expirationTimestamp.getTime()) return cached.issued;
      throw err;
    }
  }

  /** DeleteServiceAccountToken: the pod is gone from this node. */
  deletePodTokens(podUid: string): void {
    for (const [key, cached] of this.cache) if (cached.podUid === podUid) this.cache.delete(key);
  }

  /** requiresRefresh's moment: 24 h after issue, or with 20% of the lifetime left, less the jitter. */
  private refreshTime(issued: IssuedToken): number {
    const exp = issued.expirationTimestamp.getTime();
    const ttl = issued.expirationSeconds * 1000;
    const jitter = this.jitter();
    return Math.min(exp - ttl + maxTTLMs, exp - ttl / 5) - jitter;
  }

  private dropExpired(): void {
    const now = this.now();
    for (const [key, cached] of this.cache)
      if (cached.issued.expirationTimestamp.getTime() <= now) this.cache.delete(key);
  }
}
