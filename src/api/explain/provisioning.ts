// Is the provisioner of a claim's class there, and is there room for the claim? The evidence a user would
// gather by hand: the CSIDriver object, the nodes whose CSINode registers the driver, the sidecar's leader
// Lease (named as csi-lib-utils names it), and the CSIStorageCapacity objects the provisioner publishes.
import type { PersistentVolumeClaim } from "../core/types.js";
import { tryParseQuantity } from "../quantity.js";
import { labelMatcherFromSelector } from "../selectors/labels.js";
import type { NodeLabels } from "../selectors/nodeselector.js";
import { claimRequest } from "../storagerules/capacity.js";
import type { StorageClass } from "../storage/types.js";
import { leaseIsFresh, named, type ClusterObjects } from "./cluster.js";
import type { Verdict } from "./verdict.js";

/** external-provisioner's Lease name for a driver: the name with every character outside [a-zA-Z0-9-] a dash. */
export const provisionerLeaseName = (driver: string): string => driver.replace(/[^a-zA-Z0-9-]/g, "-");

/**
 * Records what says whether the provisioner runs. Returns false (and blocks the verdict) when nothing does: no
 * fresh Lease, no node registering the driver, no CSIDriver object; or when its Lease expired.
 */
export function checkProvisioner(cluster: ClusterObjects, provisioner: string, verdict: Verdict): boolean {
  const lease = cluster.leases.find((l) => l.metadata.name === provisionerLeaseName(provisioner));
  const driver = named(cluster.csiDrivers, provisioner);
  const registered = cluster.csiNodes
    .filter((n) => n.spec.drivers.some((d) => d.name === provisioner))
    .map((n) => n.metadata.name ?? "");
  if (driver) verdict.see("CSIDriver", provisioner, "exists");
  if (registered.length > 0) verdict.see("CSINode", registered.join(","), `registers driver ${provisioner}`);
  if (lease) {
    const fresh = leaseIsFresh(lease, cluster.now);
    const says = `held by ${lease.spec?.holderIdentity ?? "nobody"}, renewed ${lease.spec?.renewTime ?? "never"}`;
    verdict.see("Lease", lease.metadata.name ?? "", fresh ? says : `${says}: expired`, lease.metadata.namespace);
    if (!fresh) {
      verdict.block(
        "provisioner",
        "ProvisionerNotRunning",
        `the provisioner of ${provisioner} is not running: its Lease ${lease.metadata.namespace ?? ""}/${lease.metadata.name ?? ""} expired (${says})`,
        `start the csi-provisioner for ${provisioner} (stowage csi-provisioner --csi-address … --kubeconfig …)`,
      );
      return false;
    }
  }
  if (!lease && !driver && registered.length === 0) {
    verdict.block(
      "provisioner",
      "ProvisionerNotRunning",
      `no provisioner for ${provisioner} is running: there is no CSIDriver ${provisioner}, no node registers it and no provisioner holds its Lease`,
      `install and start the CSI driver ${provisioner} with its csi-provisioner, or use a StorageClass whose provisioner runs`,
    );
    return false;
  }
  verdict.done("provisioner", `${provisioner} is registered${registered.length ? ` on ${registered.join(", ")}` : ""}`);
  return true;
}

/**
 * The scheduler's capacity check (volumebinding hasEnoughCapacity) for a delayed claim: when the driver publishes
 * capacity, some CSIStorageCapacity of the class reachable from the node (or from any node) must hold the request.
 */
export function checkCapacity(
  cluster: ClusterObjects,
  claim: PersistentVolumeClaim,
  storageClass: StorageClass,
  node: NodeLabels | undefined,
  verdict: Verdict,
): boolean {
  const driver = named(cluster.csiDrivers, storageClass.provisioner);
  if (!driver?.spec.storageCapacity) {
    verdict.done("capacity", `${storageClass.provisioner} does not publish capacity: not checked`);
    return true;
  }
  const request = claimRequest(claim);
  const className = storageClass.metadata.name ?? "";
  const reachable = cluster.capacities.filter((c) => {
    if (c.storageClassName !== className) return false;
    if (!node) return true;
    if (!c.nodeTopology) return false;
    try {
      return labelMatcherFromSelector(c.nodeTopology).matches(node.labels);
    } catch {
      return false;
    }
  });
  const room = (text: string | undefined) => tryParseQuantity(text ?? "");
  const fits = reachable.find((c) => {
    const limit = room(c.maximumVolumeSize) ?? room(c.capacity);
    return limit !== undefined && limit.cmp(request) >= 0;
  });
  for (const c of reachable) {
    verdict.see(
      "CSIStorageCapacity",
      c.metadata.name ?? "",
      `capacity ${c.capacity ?? "unknown"}`,
      c.metadata.namespace,
    );
  }
  const where = node ? ` reachable from node ${node.name}` : "";
  if (fits) {
    verdict.done("capacity", `CSIStorageCapacity ${fits.metadata.name ?? ""} has room for ${request.toString()}`);
    return true;
  }
  verdict.block(
    "capacity",
    "NotEnoughCapacity",
    reachable.length === 0
      ? `no CSIStorageCapacity of class "${className}"${where}: the scheduler finds no node with enough free storage`
      : `no CSIStorageCapacity of class "${className}"${where} has room for ${request.toString()}`,
    "free space on the driver's storage, ask for less, or add nodes with storage for this class",
  );
  return false;
}
