// Storage capacity tracking (external-provisioner's pkg/capacity): when the driver's CSIDriver object says
// storageCapacity and the driver can GetCapacity, keep one CSIStorageCapacity per (StorageClass of this driver,
// topology segment) in the provisioner's namespace, so the scheduler only picks nodes with room. Objects carry
// upstream's labels (csi.storage.k8s.io/drivername, csi.storage.k8s.io/managed-by) and generateName "csisc-";
// ours that no longer match a class and segment are deleted. One level-triggered sync recomputes everything
// on any relevant change and every poll interval (upstream's --capacity-poll-interval, 1 m).
import { grpcErrorText } from "../../errors.js";
import type { CSIStorageCapacity } from "../../../api/storage/types.js";
import { Quantity } from "../../../api/quantity.js";
import { WorkQueue, isNotFound, type InformerFactory } from "../../../client/index.js";
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

export function startCapacityTracking(
  ctx: ProvisionerContext,
  informers: InformerFactory,
  signal: AbortSignal,
  options: CapacityOptions = {},
): Promise<void> {
  const namespace = options.namespace ?? "kube-system";
  const managedBy = options.managedBy ?? "external-provisioner";
  const capacities = informers.csiStorageCapacities;
  const drivers = informers.csiDrivers;
  const queue = new WorkQueue<string>({ name: "capacity", log: (m, f) => ctx.log(m, f) });
  const key = "all";
  const poke = () => queue.add(key);
  for (const informer of [capacities, drivers, informers.storageClasses, ctx.csiNodes, ctx.nodes, ctx.volumes]) {
    (informer as { onChange(fn: () => void): void }).onChange(poke);
  }
  const timer = setInterval(poke, options.pollIntervalMs ?? 60_000);
  signal.addEventListener("abort", () => clearInterval(timer), { once: true });

  const ours = (c: CSIStorageCapacity) =>
    c.metadata.namespace === namespace &&
    c.metadata.labels?.[DriverNameLabel] === ctx.driverName &&
    c.metadata.labels?.[ManagedByLabel] === managedBy;

  async function sync(): Promise<void> {
    const enabled =
      drivers.get(ctx.driverName)?.spec.storageCapacity === true &&
      (await ctx.csi.controllerCapabilities()).has("GET_CAPACITY");
    const existing = new Map<string, CSIStorageCapacity>();
    const obsolete: CSIStorageCapacity[] = [];
    for (const c of capacities.list({ namespace })) {
      if (!ours(c)) continue;
      const k = segmentKey(c.storageClassName, c.nodeTopology?.matchLabels);
      if (existing.has(k))
        obsolete.push(c); // a duplicate from a create that raced: keep one
      else existing.set(k, c);
    }
    const wanted = new Set<string>();
    if (enabled) {
      const classes = ctx.classes.list().filter((sc) => sc.provisioner === ctx.driverName);
      for (const storageClass of classes) {
        for (const segment of segments(ctx)) {
          const k = segmentKey(storageClass.metadata.name ?? "", segment);
          wanted.add(k);
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
          const current = existing.get(k);
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

  poke();
  return queue.work(signal, async (k) => {
    await sync();
    queue.forget(k);
  });
}
