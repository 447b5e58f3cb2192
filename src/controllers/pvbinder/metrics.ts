// The PersistentVolume controller's collector (upstream pkg/controller/volume/persistentvolume/metrics): bound and
// unbound volumes per class and claims per namespace and class, counted from the binder's caches when /metrics is
// scraped, so the figures are never out of step with what the binder sees.
import { Gauge } from "prom-client";
import type { PersistentVolume, PersistentVolumeClaim } from "../../api/core/types.js";
import { claimClass, volumeClass } from "../../api/storagerules/class.js";

export interface BinderCaches {
  volumes(): PersistentVolume[];
  claims(): PersistentVolumeClaim[];
}

/** The binders running in this process (one, except in tests that run several stowages). */
const sources = new Set<BinderCaches>();

/** Counts this binder's caches at every scrape until `signal` aborts. */
export function collectFrom(caches: BinderCaches, signal: AbortSignal): void {
  sources.add(caches);
  signal.addEventListener("abort", () => sources.delete(caches), { once: true });
}

function countInto(gauge: Gauge<string>, keys: Array<Record<string, string>>): void {
  gauge.reset();
  const counts = new Map<string, { labels: Record<string, string>; n: number }>();
  for (const labels of keys) {
    const key = JSON.stringify(labels);
    const entry = counts.get(key) ?? { labels, n: 0 };
    entry.n++;
    counts.set(key, entry);
  }
  for (const { labels, n } of counts.values()) gauge.set(labels, n);
}

const volumesOf = (bound: boolean) => () =>
  [...sources].flatMap((s) => s.volumes().filter((pv) => (pv.status?.phase === "Bound") === bound));
const claimsOf = (bound: boolean) => () =>
  [...sources].flatMap((s) => s.claims().filter((pvc) => (pvc.status?.phase === "Bound") === bound));

for (const bound of [true, false]) {
  const state = bound ? "bound" : "unbound";
  const volumes = volumesOf(bound);
  new Gauge({
    name: `pv_collector_${state}_pv_count`,
    help: `Gauge measuring number of persistent volume currently ${state}`,
    labelNames: ["storage_class"],
    collect() {
      countInto(
        this,
        volumes().map((pv) => ({ storage_class: volumeClass(pv) })),
      );
    },
  });
  const claims = claimsOf(bound);
  new Gauge({
    name: `pv_collector_${state}_pvc_count`,
    help: `Gauge measuring number of persistent volume claim currently ${state}`,
    labelNames: ["namespace", "storage_class", "volume_attributes_class"],
    collect() {
      countInto(
        this,
        claims().map((pvc) => ({
          namespace: pvc.metadata.namespace ?? "",
          storage_class: claimClass(pvc),
          volume_attributes_class: pvc.spec.volumeAttributesClassName ?? "",
        })),
      );
    },
  });
}
