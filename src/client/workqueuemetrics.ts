// client-go's workqueue metrics (util/workqueue/metrics.go, registered by component-base's workqueue provider), with
// upstream's names, label and buckets: what a controller's queue is doing, per queue name, for /metrics.
import { Counter, Gauge, Histogram } from "prom-client";

// prometheus.ExponentialBuckets(10e-9, 10, 10): 10 ns … 10 s
const buckets = Array.from({ length: 10 }, (_, i) => 10e-9 * 10 ** i);

/** Adds and retries per queue name, counted in plain numbers and handed to the counters when /metrics is scraped. */
interface Counts {
  adds: number;
  retries: number;
}
const countsByName = new Map<string, Counts>();

function countsOf(name: string): Counts {
  let counts = countsByName.get(name);
  if (!counts) countsByName.set(name, (counts = { adds: 0, retries: 0 }));
  return counts;
}

/**
 * A counter per queue name, read from countsByName at scrape time: counting a key is then one increment, where a
 * labelled prom-client inc hashed its labels on each of the millions of adds a 100,000-object resync makes.
 */
function scrapedCounter(name: string, help: string, figure: keyof Counts): void {
  new Counter({
    name,
    help,
    labelNames: ["name"],
    collect() {
      this.reset();
      for (const [queue, counts] of countsByName) if (counts[figure] > 0) this.inc({ name: queue }, counts[figure]);
    },
  });
}
scrapedCounter("workqueue_adds_total", "Total number of adds handled by workqueue", "adds");
scrapedCounter("workqueue_retries_total", "Total number of retries handled by workqueue", "retries");
const queueDuration = new Histogram({
  name: "workqueue_queue_duration_seconds",
  help: "How long in seconds an item stays in workqueue before being requested.",
  labelNames: ["name"],
  buckets,
});
const workDuration = new Histogram({
  name: "workqueue_work_duration_seconds",
  help: "How long in seconds processing an item from workqueue takes.",
  labelNames: ["name"],
  buckets,
});

/** Every queue's metrics alive in this process: the gauges below are read from them when /metrics is scraped. */
const live = new Set<WeakRef<QueueMetrics<unknown>>>();

function eachLive(visit: (m: QueueMetrics<unknown>) => void): void {
  for (const ref of live) {
    const m = ref.deref();
    if (m) visit(m);
    else live.delete(ref);
  }
}

/** Sums one figure per queue name over the live queues into a gauge, at scrape time. */
function scrapedGauge(
  name: string,
  help: string,
  figure: (m: QueueMetrics<unknown>, now: number) => number,
  max = false,
) {
  return new Gauge({
    name,
    help,
    labelNames: ["name"],
    collect() {
      this.reset();
      const now = performance.now();
      const byName = new Map<string, number>();
      eachLive((m) => {
        const value = figure(m, now);
        const prev = byName.get(m.name) ?? 0;
        byName.set(m.name, max ? Math.max(prev, value) : prev + value);
      });
      for (const [queue, value] of byName) this.set({ name: queue }, value);
    },
  });
}

scrapedGauge("workqueue_depth", "Current depth of workqueue", (m) => m.depth());
scrapedGauge(
  "workqueue_unfinished_work_seconds",
  "How many seconds of work has done that is in progress and hasn't been observed by work_duration. Large values indicate stuck threads. One can deduce the number of stuck threads by observing the rate at which this increases.",
  (m, now) => [...m.processingSince.values()].reduce((sum, start) => sum + (now - start) / 1000, 0),
);
scrapedGauge(
  "workqueue_longest_running_processor_seconds",
  "How many seconds has the longest running processor for workqueue been running.",
  (m, now) => [...m.processingSince.values()].reduce((longest, start) => Math.max(longest, (now - start) / 1000), 0),
  true,
);

/** One queue's side of the metrics: the queue calls these at the points client-go's queue does. */
export class QueueMetrics<K> {
  private readonly addedAt = new Map<K, number>();
  readonly processingSince = new Map<K, number>();
  private readonly counts: Counts;
  // This queue's label children, looked up once rather than by a label object on every observation.
  private readonly queueDuration: Histogram.Internal<"name">;
  private readonly workDuration: Histogram.Internal<"name">;

  constructor(
    readonly name: string,
    readonly depth: () => number,
  ) {
    live.add(new WeakRef(this as QueueMetrics<unknown>));
    this.counts = countsOf(name);
    this.queueDuration = queueDuration.labels(name);
    this.workDuration = workDuration.labels(name);
  }

  /** A key entered the queue (client-go counts no add that de-duplication absorbed; the queue calls this after it). */
  add(key: K): void {
    this.counts.adds++;
    // Never set already: the queue calls this only for a key not waiting, and get removes its entry.
    this.addedAt.set(key, performance.now());
  }

  get(key: K): void {
    const now = performance.now();
    const added = this.addedAt.get(key);
    if (added !== undefined) {
      this.queueDuration.observe((now - added) / 1000);
      this.addedAt.delete(key);
    }
    this.processingSince.set(key, now);
  }

  done(key: K): void {
    const started = this.processingSince.get(key);
    if (started === undefined) return;
    this.workDuration.observe((performance.now() - started) / 1000);
    this.processingSince.delete(key);
  }

  retry(): void {
    this.counts.retries++;
  }

  /** Shutdown dropped what was queued: none of it will be requested. */
  dropQueued(): void {
    this.addedAt.clear();
  }
}
