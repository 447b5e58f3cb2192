// --event-ttl (1 h, as kube-apiserver): Events go away that long after they were last written. Upstream stores
// each Event with an etcd lease of that TTL, renewed by every write; here a sweep (every minute) deletes the
// Events whose newest time — lastTimestamp, eventTime, series.lastObservedTime or creationTimestamp — is older,
// at the revision it read, so an Event written meanwhile stays. Watchers see DELETED, as for a lease's expiry.
import type { Event } from "../api/core/types.js";
import { RevisionMismatchError, KeyNotFoundError, type Store } from "../store/store.js";
import { decodeObject } from "./registry/codec.js";

/** Core Events' prefix (events.k8s.io Events are the same objects, stored here). */
export const eventsPrefix = "/registry/events/";

/** When the Event was last written, as far as its own times tell (undefined: it says nothing). */
export function lastWritten(event: Event): number | undefined {
  const times = [event.lastTimestamp, event.eventTime, event.series?.lastObservedTime, event.metadata.creationTimestamp]
    .filter((t): t is string => typeof t === "string" && t !== "")
    .map((t) => Date.parse(t))
    .filter((t) => !Number.isNaN(t));
  return times.length > 0 ? Math.max(...times) : undefined;
}

export class EventExpiry {
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly store: Store,
    private readonly ttlMs: number,
    private readonly intervalMs: number,
    private readonly log: (message: string, err?: unknown) => void,
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    if (this.ttlMs <= 0 || this.intervalMs <= 0) return;
    this.timer = setInterval(() => void this.sweep(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Deletes every expired Event once; returns how many. */
  async sweep(): Promise<number> {
    let deleted = 0;
    try {
      const cutoff = this.now() - this.ttlMs;
      let after: string | undefined;
      for (;;) {
        const page = await this.store.list(eventsPrefix, { limit: 500, after });
        for (const kv of page.items) {
          const written = lastWritten(decodeObject<Event>(kv));
          if (written === undefined || written >= cutoff) continue;
          try {
            await this.store.delete(kv.key, kv.modRevision);
            deleted++;
          } catch (err) {
            // written again meanwhile (its lease renewed) or already gone: either way not ours to delete now
            if (!(err instanceof RevisionMismatchError) && !(err instanceof KeyNotFoundError)) throw err;
          }
        }
        if (!page.more || page.items.length === 0) break;
        after = page.items[page.items.length - 1].key;
      }
    } catch (err) {
      this.log("expiring Events failed; will retry at the next sweep", err);
    }
    return deleted;
  }
}
