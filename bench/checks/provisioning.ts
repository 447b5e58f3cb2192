// The check behind figures of dynamic provisioning: every claim Bound to its own PV (checkBindings), every PV backed
// by its own driver volume, and the driver holding exactly those volumes: none missing, none leaked, none twice.
import type { PersistentVolume, PersistentVolumeClaim } from "../../src/api/core/types.js";
import { CheckFailed } from "../lib/bench.js";
import { checkBindings } from "./binding.js";

/**
 * Throws CheckFailed unless `claims` are each Bound to a distinct PV of `driver`, whose volume handles are distinct
 * and are exactly `driverVolumes` (the driver's own list, e.g. from ListVolumes).
 */
export function checkProvisioned(
  claims: readonly PersistentVolumeClaim[],
  volumes: readonly PersistentVolume[],
  driver: string,
  driverVolumes: readonly string[],
): void {
  checkBindings(claims, volumes, { smallestFit: false });
  const handles = new Map<string, string>();
  for (const volume of volumes) {
    const name = volume.metadata.name ?? "";
    if (volume.spec.csi?.driver !== driver) throw new CheckFailed(`PV ${name} is not a volume of ${driver}`);
    const handle = volume.spec.csi.volumeHandle;
    const other = handles.get(handle);
    if (other) throw new CheckFailed(`PVs ${other} and ${name} share the driver volume ${handle}`);
    handles.set(handle, name);
  }
  if (volumes.length !== claims.length)
    throw new CheckFailed(`${volumes.length} PVs for ${claims.length} claims: one volume per claim expected`);
  const held = new Set(driverVolumes);
  if (held.size !== driverVolumes.length) throw new CheckFailed(`the driver lists a volume twice`);
  for (const [handle, pv] of handles)
    if (!held.has(handle)) throw new CheckFailed(`PV ${pv}'s volume ${handle} is not in the driver`);
  for (const handle of held)
    if (!handles.has(handle)) throw new CheckFailed(`the driver holds volume ${handle}, which no PV names (leaked)`);
}
