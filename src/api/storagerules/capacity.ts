// How big a volume is and how much a claim asks for, as Quantities: what smallest fit, the PVC/PV tables, the
// resize rules and the provisioner compare. Absent or unparsable text counts as zero, as upstream's lookup of a
// missing quantity in a ResourceList does (validation rejects bad text before it is stored).
import type { PersistentVolume, PersistentVolumeClaim } from "../core/types.js";
import { Quantity, tryParseQuantity } from "../quantity.js";

const zero = Quantity.zero();

// Smallest fit compares the capacity of every candidate volume, claim after claim (the scheduler on every node
// for every pod). A cluster has a handful of sizes, each on many volumes: parse each distinct text once.
// Quantities are immutable, so one may serve every volume that says "5Gi".
const parsed = new Map<string, Quantity>();
const maxParsed = 4096;

function orZero(text: string | undefined): Quantity {
  if (text === undefined) return zero;
  let quantity = parsed.get(text);
  if (quantity === undefined) {
    quantity = tryParseQuantity(text) ?? zero;
    if (parsed.size >= maxParsed) parsed.clear(); // many distinct sizes: start over rather than grow
    parsed.set(text, quantity);
  }
  return quantity;
}

/** spec.capacity[storage] of a volume. */
export function volumeCapacity(volume: PersistentVolume): Quantity {
  return orZero(volume.spec?.capacity?.storage);
}

/** spec.resources.requests[storage] of a claim: what it asks for. */
export function claimRequest(claim: PersistentVolumeClaim): Quantity {
  return orZero(claim.spec?.resources?.requests?.storage);
}

/** status.capacity[storage] of a claim: what its bound volume gave it (zero while unbound). */
export function claimCapacity(claim: PersistentVolumeClaim): Quantity {
  return orZero(claim.status?.capacity?.storage);
}
