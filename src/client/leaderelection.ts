// Leader election on a coordination.k8s.io/v1 Lease, as client-go's tools/leaderelection: candidates race to
// write their identity into spec.holderIdentity with the Lease's resourceVersion (the apiserver's 409 picks
// one winner); the holder renews spec.renewTime every retryPeriod; others take over only after observing no
// change for leaseDurationSeconds (measured on their own clock, so clock skew between machines is harmless).
// A leader that cannot renew within renewDeadline stops leading; stopping releases the Lease (holder "",
// leaseDurationSeconds 1) so the next candidate need not wait out the duration.
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { Lease, LeaseSpec } from "../api/coordination/types.js";
import type { NamespacedResourceClient } from "./client.js";
import { isAlreadyExists, isConflict, isNotFound } from "./errors.js";
import { sleep } from "../support/sleep.js";

export interface LeaderElectionOptions {
  leases: NamespacedResourceClient<Lease>;
  /** Where the Lease lives, e.g. kube-system / stowage-controller-manager. */
  namespace: string;
  name: string;
  /** Unique per candidate, e.g. `${hostname}_${uuid}` as upstream. */
  identity: string;
  /** client-go's defaults for controller-manager: 15 s, 10 s, 2 s. */
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** Release the Lease when the signal aborts (default true). */
  releaseOnCancel?: boolean;
  /** Runs while leading; its signal aborts when leadership ends. */
  onStartedLeading(signal: AbortSignal): void | Promise<void>;
  onStoppedLeading?(): void;
  /** Called when the observed holder changes (including to ourselves). */
  onNewLeader?(identity: string): void;
  log?: (message: string, fields: Record<string, unknown>) => void;
}

/** A candidate identity as upstream's controller-manager makes one: hostname plus a random suffix. */
export function defaultIdentity(): string {
  return `${hostname()}_${randomUUID()}`;
}

/** MicroTime as upstream serializes it: RFC 3339 with six fractional digits. */
export function formatMicroTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

export class LeaderElector {
  private observed: LeaseSpec | undefined;
  private observedResourceVersion = "";
  private observedTime = 0;
  private leading = false;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly log: (message: string, fields: Record<string, unknown>) => void;

  constructor(private readonly options: LeaderElectionOptions) {
    this.leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = options.retryPeriodMs ?? 2_000;
    if (this.leaseDurationMs <= this.renewDeadlineMs) {
      throw new RangeError("leaseDuration must be greater than renewDeadline");
    }
    if (this.renewDeadlineMs <= this.retryPeriodMs * 1.2) {
      throw new RangeError("renewDeadline must be greater than retryPeriod*1.2");
    }
    this.log =
      options.log ?? ((message, fields) => console.warn(`[leaderelection ${options.name}] ${message}`, fields));
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** The holder last observed ("" when released, undefined before the first look). */
  getLeader(): string | undefined {
    return this.observed?.holderIdentity;
  }

  /**
   * Campaigns until leading, leads until the signal aborts or a renewal misses its deadline, then stops
   * leading (releasing the Lease if the signal aborted). Resolves after onStoppedLeading.
   */
  async run(signal: AbortSignal): Promise<void> {
    // Acquire: retry every retryPeriod (jittered, as wait.JitterUntil with factor 1.2).
    while (!signal.aborted) {
      if (await this.tryAcquireOrRenew(signal)) break;
      await sleep(this.retryPeriodMs * (1 + Math.random() * 0.2), signal);
    }
    if (signal.aborted) return;

    this.leading = true;
    const leadership = new AbortController();
    const stopLeading = (): void => leadership.abort();
    signal.addEventListener("abort", stopLeading, { once: true });
    void Promise.resolve()
      .then(() => this.options.onStartedLeading(leadership.signal))
      .catch((err: unknown) => this.log("onStartedLeading failed", { err }));

    // Renew until a renewal misses the deadline or we are told to stop.
    let lastRenew = Date.now();
    while (!leadership.signal.aborted) {
      await sleep(this.retryPeriodMs, leadership.signal);
      if (leadership.signal.aborted) break;
      if (await this.tryAcquireOrRenew(leadership.signal)) {
        lastRenew = Date.now();
      } else if (Date.now() - lastRenew > this.renewDeadlineMs) {
        this.log("failed to renew the lease within the renew deadline; stopping leading", {
          identity: this.options.identity,
        });
        break;
      }
    }
    signal.removeEventListener("abort", stopLeading);
    leadership.abort();
    if (signal.aborted && (this.options.releaseOnCancel ?? true)) await this.release();
    this.leading = false;
    try {
      this.options.onStoppedLeading?.();
    } catch (err) {
      this.log("onStoppedLeading failed", { err });
    }
  }

  private async tryAcquireOrRenew(signal: AbortSignal): Promise<boolean> {
    const { leases, namespace, name, identity } = this.options;
    const now = new Date();
    const nowText = formatMicroTime(now);
    const leaseDurationSeconds = Math.max(1, Math.ceil(this.leaseDurationMs / 1000));
    // Each attempt gets at most the renew deadline: a hung request must not hold leadership past it.
    const attempt = new AbortController();
    const timer = setTimeout(() => attempt.abort(), this.renewDeadlineMs);
    const onAbort = (): void => attempt.abort();
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      let lease: Lease;
      try {
        lease = await leases.get(namespace, name, { signal: attempt.signal });
      } catch (err) {
        if (!isNotFound(err)) throw err;
        const spec: LeaseSpec = {
          holderIdentity: identity,
          leaseDurationSeconds,
          acquireTime: nowText,
          renewTime: nowText,
          leaseTransitions: 0,
        };
        const created = await leases.create(
          { apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { namespace, name }, spec },
          { signal: attempt.signal },
        );
        this.observe(created, Date.now());
        return true;
      }

      this.observe(lease, now.getTime());
      const current = lease.spec ?? {};
      const holder = current.holderIdentity ?? "";
      const validMs = (current.leaseDurationSeconds ?? leaseDurationSeconds) * 1000;
      if (holder && holder !== identity && this.observedTime + validMs > now.getTime()) {
        return false; // someone else holds an unexpired lease
      }
      const spec: LeaseSpec = {
        ...current,
        holderIdentity: identity,
        leaseDurationSeconds,
        renewTime: nowText,
        acquireTime: holder === identity ? current.acquireTime : nowText,
        leaseTransitions: holder === identity ? (current.leaseTransitions ?? 0) : (current.leaseTransitions ?? 0) + 1,
      };
      // The resourceVersion we read makes this a compare-and-swap: two candidates, one 409.
      const updated = await leases.update({ ...lease, spec }, { signal: attempt.signal });
      this.observe(updated, Date.now());
      return true;
    } catch (err) {
      if (!isConflict(err) && !isAlreadyExists(err) && !signal.aborted) {
        this.log("error retrieving or updating the lease", { err });
      }
      return false;
    } finally {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
    }
  }

  /** Hands the Lease back so the next candidate can take over at once. */
  private async release(): Promise<void> {
    const { leases, namespace, name, identity } = this.options;
    try {
      const lease = await leases.get(namespace, name);
      if (lease.spec?.holderIdentity !== identity) return;
      const nowText = formatMicroTime(new Date());
      await leases.update({
        ...lease,
        spec: {
          ...lease.spec,
          holderIdentity: "",
          leaseDurationSeconds: 1,
          renewTime: nowText,
          acquireTime: nowText,
          leaseTransitions: lease.spec.leaseTransitions ?? 0,
        },
      });
    } catch (err) {
      this.log("failed to release the lease", { err });
    }
  }

  private observe(lease: Lease, at: number): void {
    const spec = lease.spec ?? {};
    const changed = lease.metadata.resourceVersion !== this.observedResourceVersion;
    const previousHolder = this.observed?.holderIdentity;
    if (changed) {
      this.observed = spec;
      this.observedResourceVersion = lease.metadata.resourceVersion ?? "";
      this.observedTime = at;
    }
    const holder = spec.holderIdentity ?? "";
    if (holder && holder !== previousHolder) {
      try {
        this.options.onNewLeader?.(holder);
      } catch (err) {
        this.log("onNewLeader failed", { err });
      }
    }
  }
}

/** Runs a LeaderElector until the signal aborts (a lost lease is campaigned for again). */
export async function runLeaderElection(options: LeaderElectionOptions, signal: AbortSignal): Promise<void> {
  const elector = new LeaderElector(options);
  while (!signal.aborted) await elector.run(signal);
}
