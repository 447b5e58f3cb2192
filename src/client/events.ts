// EventRecorder: writes core/v1 Events the way client-go's record package does, so `kubectl describe`
// shows ours exactly like upstream's: name "<object>.<hex unix nanos>", namespace of the object ("default"
// for cluster-scoped ones), count 1, firstTimestamp = lastTimestamp. A repeat of the same object/type/
// reason/message patches the existing Event (count+1, lastTimestamp) instead of creating another, as the
// EventCorrelator does; more than 10 different messages for one object/reason within 10 minutes collapse
// into one "(combined from similar events): …" Event; a per-object token bucket (burst 25, one per 5 min)
// drops spam. Recording never throws into the caller and never blocks it: failures are logged.
import type { Event } from "../api/core/types.js";
import type { KubeObject, ObjectReference } from "../api/meta.js";
import type { NamespacedResourceClient } from "./client.js";
import { ApiError, isNotFound } from "./errors.js";
import { TokenBucket } from "./ratelimiter.js";

export type EventType = "Normal" | "Warning";

export interface EventRecorder {
  /** Record an event about the object (or a reference to it). Returns at once; the write happens behind. */
  event(object: KubeObject | ObjectReference, type: EventType, reason: string, message: string): void;
  /** Resolves when every event recorded so far is written (or given up on). For tests and shutdown. */
  flush(): Promise<void>;
}

export interface EventRecorderOptions {
  /** source.component, e.g. "persistentvolume-controller" (upstream's name for the PV controller). */
  component: string;
  /** source.host, e.g. the node name for the node agent. */
  host?: string;
  log?: (message: string, fields: Record<string, unknown>) => void;
  now?: () => Date;
}

// client-go's constants (tools/record/events_cache.go).
const maxLruCacheEntries = 4096;
const defaultAggregateMaxEvents = 10;
const defaultAggregateIntervalMs = 600_000;
const spamBurst = 25;
const spamQps = 1 / 300;
const maxTries = 3;

interface Observed {
  name: string;
  namespace: string;
  count: number;
  firstTimestamp: string;
}

export function createEventRecorder(
  events: NamespacedResourceClient<Event>,
  options: EventRecorderOptions,
): EventRecorder {
  const log = options.log ?? ((message, fields) => console.warn(`[events ${options.component}] ${message}`, fields));
  const now = options.now ?? (() => new Date());
  const correlator = new Correlator(options, now);
  const observed = new Lru<string, Observed>(maxLruCacheEntries);
  const chains = new Map<string, Promise<void>>();
  const nanos = nanoClock();

  function record(object: KubeObject | ObjectReference, type: EventType, reason: string, message: string): void {
    const ref = referenceTo(object);
    if (!ref.name) {
      log("event for an object without a name; dropping it", { reason, message });
      return;
    }
    const at = now();
    const correlated = correlator.correlate(ref, type, reason, message, at);
    if (!correlated) return; // spam: client-go drops it silently too
    const { key } = correlated;
    const seen = observed.get(key);
    const name = seen?.name ?? `${ref.name}.${nanos(at).toString(16)}`;
    const event = newEvent(options, ref, type, reason, correlated.message, at, name, seen?.firstTimestamp);

    // One write at a time per correlation key, so a quick repeat patches the event the first one created.
    const previous = chains.get(key) ?? Promise.resolve();
    const next = previous.then(() => writeEvent(events, observed, event, key, log));
    chains.set(key, next);
    void next.finally(() => {
      if (chains.get(key) === next) chains.delete(key);
    });
  }

  return {
    event(object, type, reason, message) {
      try {
        record(object, type, reason, message);
      } catch (err) {
        log("could not record event", { reason, err });
      }
    },
    async flush() {
      while (chains.size > 0) await Promise.all([...chains.values()]);
    },
  };
}

function referenceTo(object: KubeObject | ObjectReference): ObjectReference {
  if ("metadata" in object) {
    const ref: ObjectReference = { kind: object.kind, apiVersion: object.apiVersion, name: object.metadata.name };
    if (object.metadata.namespace) ref.namespace = object.metadata.namespace;
    if (object.metadata.uid) ref.uid = object.metadata.uid;
    if (object.metadata.resourceVersion) ref.resourceVersion = object.metadata.resourceVersion;
    return ref;
  }
  return { ...object };
}

/**
 * client-go's EventCorrelator: drops spam (a token bucket per object) and aggregates (from the 10th distinct
 * message for one object+reason within 10 minutes, one combined Event carries them all). Gives the correlation
 * key a repeat of the event shares, and the message to send.
 */
class Correlator {
  private readonly similar = new Lru<string, { messages: Set<string>; last: number }>(maxLruCacheEntries);
  private readonly spam = new Lru<string, TokenBucket>(maxLruCacheEntries);

  constructor(
    private readonly source: { component: string; host?: string },
    private readonly now: () => Date,
  ) {}

  correlate(
    ref: ObjectReference,
    type: EventType,
    reason: string,
    message: string,
    at: Date,
  ): { key: string; message: string } | undefined {
    const objectKey = [
      this.source.component,
      this.source.host ?? "",
      ref.kind,
      ref.namespace,
      ref.name,
      ref.uid,
      ref.apiVersion,
    ].join("\u0000");

    let bucket = this.spam.get(objectKey);
    if (!bucket) this.spam.set(objectKey, (bucket = new TokenBucket(spamQps, spamBurst, () => this.now().getTime())));
    if (!bucket.tryAccept()) return undefined;

    const aggregateKey = [objectKey, ref.fieldPath ?? "", type, reason].join("\u0000");
    let window = this.similar.get(aggregateKey);
    if (!window || at.getTime() - window.last > defaultAggregateIntervalMs) {
      this.similar.set(aggregateKey, (window = { messages: new Set(), last: at.getTime() }));
    }
    window.last = at.getTime();
    window.messages.add(message);
    // As EventAggregate: from the 10th distinct message on, one combined Event carries them all.
    if (window.messages.size >= defaultAggregateMaxEvents) {
      return { key: aggregateKey, message: `(combined from similar events): ${message}` };
    }
    return { key: [aggregateKey, message].join("\u0000"), message };
  }
}

/** The Event as client-go's recorder makes it; a repeat keeps the name and firstTimestamp of the one it repeats. */
function newEvent(
  source: { component: string; host?: string },
  ref: ObjectReference,
  type: EventType,
  reason: string,
  message: string,
  at: Date,
  name: string,
  firstTimestamp: string | undefined,
): Event {
  const timestamp = formatTime(at);
  const event: Event = {
    apiVersion: "v1",
    kind: "Event",
    metadata: { name, namespace: ref.namespace || "default" },
    involvedObject: ref,
    reason,
    message,
    source: source.host ? { component: source.component, host: source.host } : { component: source.component },
    firstTimestamp: firstTimestamp ?? timestamp,
    lastTimestamp: timestamp,
    count: 1,
    type,
    reportingComponent: source.component,
  };
  if (source.host) event.reportingInstance = source.host;
  return event;
}

/** Creates the Event, or patches the one this key wrote before (count+1); a few tries, then it is dropped. */
async function writeEvent(
  events: NamespacedResourceClient<Event>,
  observed: Lru<string, Observed>,
  event: Event,
  key: string,
  log: (message: string, fields: Record<string, unknown>) => void,
): Promise<void> {
  const seen = observed.get(key);
  for (let attempt = 1; ; attempt++) {
    try {
      let saved: Event | undefined;
      if (seen) {
        try {
          // As the correlator's strategic patch; these are scalar fields, so a merge patch is the same change.
          saved = await events.patch(seen.namespace, seen.name, "merge", {
            count: seen.count + 1,
            lastTimestamp: event.lastTimestamp,
            message: event.message,
          });
        } catch (err) {
          if (!isNotFound(err)) throw err; // the Event expired or was deleted: create a fresh one below
        }
      }
      saved ??= await events.create(event);
      observed.set(key, {
        name: saved.metadata.name ?? event.metadata.name ?? "",
        namespace: saved.metadata.namespace ?? event.metadata.namespace ?? "default",
        count: saved.count ?? 1,
        firstTimestamp: saved.firstTimestamp ?? event.firstTimestamp ?? "",
      });
      return;
    } catch (err) {
      // A 4xx will not get better by retrying (client-go gives up on those too).
      const permanent = err instanceof ApiError && err.code >= 400 && err.code < 500 && err.code !== 429;
      if (permanent || attempt >= maxTries) {
        log("could not write event; dropping it", { reason: event.reason, object: event.involvedObject, err });
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
}

/** metav1.Time: RFC 3339 to the second, as upstream serializes firstTimestamp/lastTimestamp. */
function formatTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Unix nanoseconds for event names: wall-clock milliseconds plus a monotonic sub-millisecond part. */
function nanoClock(): (at: Date) => bigint {
  let last = 0n;
  return (at) => {
    let value = BigInt(at.getTime()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
    if (value <= last) value = last + 1n; // two events in one nanosecond still get distinct names
    last = value;
    return value;
  };
}

/** A small least-recently-used map (client-go uses golang-lru with 4096 entries). */
class Lru<K, V> {
  private readonly map = new Map<K, V>();
  constructor(private readonly max: number) {}
  get(key: K): V | undefined {
    const value = this.map.get(key);
    if (value !== undefined) {
      this.map.delete(key);
      this.map.set(key, value);
    }
    return value;
  }
  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value as K);
  }
}
