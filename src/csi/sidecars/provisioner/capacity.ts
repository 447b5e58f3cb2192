// Storage capacity tracking (external-provisioner's pkg/capacity): when the driver's CSIDriver object says
// storageCapacity and the driver can GetCapacity, keep one CSIStorageCapacity per (StorageClass of this driver,
// topology segment) in the provisioner's namespace, so the scheduler only picks nodes with room. Objects carry
// upstream's labels (csi.storage.k8s.io/drivername, csi.storage.k8s.io/managed-by) and generateName "csisc-";
// ours that no longer match a class and segment are deleted. One level-triggered sync recomputes everything
// on any relevant change and every poll interval (upstream's --capacity-poll-interval, 1 m).
import { grpcErrorText } from "../../errors.js";
import type { CSIDriver, CSIStorageCapacity, StorageClass } from "../../../api/storage/types.js";
import { Quantity } from "../../../api/quantity.js";
import { every } from "../../../client/controlloop.js";
import { WorkQueue, isNotFound, type InformerFactory, type Lister } from "../../../client/index.js";
import { type ProvisionerContext } from "./context.js";

export const DriverNameLabel = "csi.storage.k8s.io/drivername";
export const ManagedByLabel = "csi.storage.k8s.io/managed-by";

export interface CapacityOptions {
  /** Where the objects live (upstream: the provisioner pod's NAMESPACE). Default "kube-system". */
  namespace?: string;
  pollIntervalMs?: number;
  /** Upstream's managed-by value for a central provisioner. */
  managedBy?: string;
}

type Segment = Record<string, string> | undefined;

const segmentKey = (className: string, segment: Segment): string =>
  `${className}\u0000${segment ? JSON.stringify(Object.entries(segment).sort()) : ""}`;

/** The driver's topology segments: for each CSINode listing the driver, its keys' values on the Node. */
function segments(ctx: ProvisionerContext): Segment[] {
  if (!ctx.supportsTopology) return [undefined];
  const out = new Map<string, Segment>();
  for (const csiNode of ctx.csiNodes.list()) {
    const keys = csiNode.spec.drivers.find((d) => d.name === ctx.driverName)?.topologyKeys ?? [];
    if (keys.length === 0) continue;
    const labels = ctx.nodes.get(csiNode.metadata.name ?? "")?.metadata.labels ?? {};
    if (!keys.every((k) => k in labels)) continue;
    const segment = Object.fromEntries(keys.map((k) => [k, labels[k]]));
    out.set(segmentKey("", segment), segment);
  }
  return [...out.values()];
}

interface Tracking {
  ctx: ProvisionerContext;
  namespace: string;
  managedBy: string;
  capacities: Lister<CSIStorageCapacity>;
  drivers: Lister<CSIDriver>;
}

export function startCapacityTracking(
  ctx: ProvisionerContext,
  informers: InformerFactory,
  signal: AbortSignal,
  options: CapacityOptions = {},
): Promise<void> {
  const tracking: Tracking = {
    ctx,
    namespace: options.namespace ?? "kube-system",
    managedBy: options.managedBy ?? "external-provisioner",
    capacities: informers.csiStorageCapacities,
    drivers: informers.csiDrivers,
  };
  const queue = new WorkQueue<string>({ name: "capacity", log: ctx.log });
  // One key: every change recomputes everything, so changes arriving during a sync fold into one more sync.
  const poke = () => queue.add("all");
  for (const informer of [
    informers.csiStorageCapacities,
    informers.csiDrivers,
    informers.storageClasses,
    ctx.csiNodes,
    ctx.nodes,
    ctx.volumes,
  ]) {
    (informer as { onChange(fn: () => void): void }).onChange(poke);
  }
  every(options.pollIntervalMs ?? 60_000, signal, poke);
  poke();
  return queue.work(signal, () => syncCapacities(tracking));
}

/** Our objects by (class, segment); later duplicates (from a create that raced) go to `obsolete`. */
function ourCapacities(tracking: Tracking, obsolete: CSIStorageCapacity[]): Map<string, CSIStorageCapacity> {
  const { ctx, namespace, managedBy } = tracking;
  const existing = new Map<string, CSIStorageCapacity>();
  for (const c of tracking.capacities.list({ namespace })) {
    const ours =
      c.metadata.labels?.[DriverNameLabel] === ctx.driverName && c.metadata.labels?.[ManagedByLabel] === managedBy;
    if (c.metadata.namespace !== namespace || !ours) continue;
    const k = segmentKey(c.storageClassName, c.nodeTopology?.matchLabels);
    if (existing.has(k))
      obsolete.push(c); // a duplicate from a create that raced: keep one
    else existing.set(k, c);
  }
  return existing;
}

/** GetCapacity for one class and segment, written into its object (created, or updated when it changed). */
async function trackOne(
  tracking: Tracking,
  storageClass: StorageClass,
  segment: Segment,
  current: CSIStorageCapacity | undefined,
): Promise<void> {
  const { ctx, namespace, managedBy } = tracking;
  let response;
  try {
    response = await ctx.csi.controller.GetCapacity(
      {
        parameters: storageClass.parameters ?? {},
        ...(segment ? { accessible_topology: { segments: segment } } : {}),
      },
      { timeoutMs: ctx.timeoutMs },
    );
  } catch (err) {
    throw new Error(
      `CSI GetCapacity for ${storageClass.metadata.name} ${JSON.stringify(segment ?? {})}: ${grpcErrorText(err)}`,
    );
  }
  const capacity = Quantity.fromValue(BigInt(response.available_capacity), "BinarySI").toString();
  const maximum = response.maximum_volume_size
    ? Quantity.fromValue(BigInt(response.maximum_volume_size.value), "BinarySI").toString()
    : undefined;
  if (!current) {
    await ctx.client.csiStorageCapacities.create({
      apiVersion: "storage.k8s.io/v1",
      kind: "CSIStorageCapacity",
      metadata: {
        generateName: "csisc-",
        namespace,
        labels: { [DriverNameLabel]: ctx.driverName, [ManagedByLabel]: managedBy },
      },
      storageClassName: storageClass.metadata.name ?? "",
      ...(segment ? { nodeTopology: { matchLabels: segment } } : {}),
      capacity,
      ...(maximum ? { maximumVolumeSize: maximum } : {}),
    });
  } else if (current.capacity !== capacity || current.maximumVolumeSize !== maximum) {
    const next = structuredClone(current) as CSIStorageCapacity;
    next.capacity = capacity;
    if (maximum) next.maximumVolumeSize = maximum;
    else delete next.maximumVolumeSize;
    await ctx.client.csiStorageCapacities.update(next);
  }
}

/** One level-triggered pass: every (class, segment) of the driver gets an up-to-date object; the rest go. */
async function syncCapacities(tracking: Tracking): Promise<void> {
  const { ctx, namespace } = tracking;
  const enabled =
    tracking.drivers.get(ctx.driverName)?.spec.storageCapacity === true &&
    (await ctx.csi.controllerCapabilities()).has("GET_CAPACITY");
  const obsolete: CSIStorageCapacity[] = [];
  const existing = ourCapacities(tracking, obsolete);
  const wanted = new Set<string>();
  if (enabled) {
    const classes = ctx.classes.list().filter((sc) => sc.provisioner === ctx.driverName);
    for (const storageClass of classes) {
      for (const segment of segments(ctx)) {
        const k = segmentKey(storageClass.metadata.name ?? "", segment);
        wanted.add(k);
        await trackOne(tracking, storageClass, segment, existing.get(k));
      }
    }
  }
  for (const [k, c] of existing) if (!wanted.has(k)) obsolete.push(c);
  for (const c of obsolete) {
    try {
      await ctx.client.csiStorageCapacities.delete(namespace, c.metadata.name ?? "");
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
