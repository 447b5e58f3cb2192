// The objects a newcomer's first claim needs, as `stowage up` creates them: a CSIDriver per running driver and the
// StorageClasses `standard` (default, as kind and k3s ship one), `block` and `block-movable`. Created once per data dir and never
// updated: what the user edits or deletes stays so (default-storage.json remembers what was created).
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { CSIDriver, StorageClass } from "../api/storage/types.js";
import { AnnIsDefaultStorageClass } from "../api/wellknown.js";
import { isAlreadyExists, type Client } from "../client/index.js";
import { defaultDriverName as blockDriverName } from "../csi/drivers/block/index.js";
import { DRIVER_NAME as hostpathDriverName } from "../csi/drivers/hostpath/index.js";

export const defaultClassName = "standard";
export const blockClassName = "block";
/** Block volumes that follow their pod to any node (the driver's `movable` parameter): network disks. */
export const movableBlockClassName = "block-movable";

function csiDriverObject(name: string, spec: CSIDriver["spec"]): CSIDriver {
  return { apiVersion: "storage.k8s.io/v1", kind: "CSIDriver", metadata: { name }, spec };
}

/** The CSIDriver objects as the drivers' deployments would ship them. */
export function defaultCsiDrivers(block: boolean): CSIDriver[] {
  const drivers = [
    csiDriverObject(hostpathDriverName, {
      // hostpath volumes are directories on the node: nothing to attach.
      attachRequired: false,
      podInfoOnMount: true,
      // up's hostpath drivers are thin (no --capacity): a directory takes only what is written, so any tutorial
      // size fits and the scheduler has no capacity to check, as with kind's and k3s's default class. A driver
      // given --capacity is tracked through CSIStorageCapacity once its CSIDriver says storageCapacity.
      storageCapacity: false,
      fsGroupPolicy: "File",
      // Inline csi volumes too, as csi-driver-host-path's deployment lists them (podInfoOnMount above is what
      // tells the driver a publish is for one).
      volumeLifecycleModes: ["Persistent", "Ephemeral"],
    }),
  ];
  if (block) {
    drivers.push(
      csiDriverObject(blockDriverName, {
        // A loop device is attached to one node at a time, like a cloud disk.
        attachRequired: true,
        podInfoOnMount: false,
        storageCapacity: false,
        fsGroupPolicy: "ReadWriteOnceWithFSType",
        volumeLifecycleModes: ["Persistent"],
      }),
    );
  }
  return drivers;
}

/** `standard` (the default class, as kind's and k3s's) and, when the block driver runs, `block` and `block-movable`. */
export function defaultStorageClasses(block: boolean, markDefault = true): StorageClass[] {
  const classes: StorageClass[] = [
    {
      apiVersion: "storage.k8s.io/v1",
      kind: "StorageClass",
      metadata: {
        name: defaultClassName,
        ...(markDefault ? { annotations: { [AnnIsDefaultStorageClass]: "true" } } : {}),
      },
      provisioner: hostpathDriverName,
      reclaimPolicy: "Delete",
      volumeBindingMode: "WaitForFirstConsumer",
      allowVolumeExpansion: true,
    },
  ];
  if (block) {
    classes.push({
      apiVersion: "storage.k8s.io/v1",
      kind: "StorageClass",
      metadata: { name: blockClassName },
      provisioner: blockDriverName,
      parameters: { "csi.storage.k8s.io/fstype": "ext4" },
      reclaimPolicy: "Delete",
      volumeBindingMode: "WaitForFirstConsumer",
      allowVolumeExpansion: true,
    });
    classes.push({
      apiVersion: "storage.k8s.io/v1",
      kind: "StorageClass",
      metadata: { name: movableBlockClassName },
      provisioner: blockDriverName,
      // No node topology: the PV has no node affinity, and a pod moved to another node takes its data along.
      parameters: { "csi.storage.k8s.io/fstype": "ext4", movable: "true" },
      reclaimPolicy: "Delete",
      volumeBindingMode: "WaitForFirstConsumer",
      allowVolumeExpansion: true,
    });
  }
  return classes;
}

interface CreatedMarker {
  storageClasses: string[];
}

async function readMarker(file: string): Promise<CreatedMarker> {
  try {
    const parsed: unknown = JSON.parse(await readFile(file, "utf8"));
    const names = (parsed as { storageClasses?: unknown }).storageClasses;
    return { storageClasses: Array.isArray(names) ? names.filter((n): n is string => typeof n === "string") : [] };
  } catch {
    return { storageClasses: [] };
  }
}

/**
 * Creates what is missing, never updates: a class the user edited stays as edited. CSIDriver objects are ensured on
 * every start (the running drivers need them); a default StorageClass is created once per data dir, so one the
 * user deleted stays deleted on a resumed `up`. Returns lines for the startup output.
 */
export async function ensureDefaultStorage(client: Client, dataDir: string, block: boolean): Promise<string[]> {
  const said: string[] = [];
  for (const driver of defaultCsiDrivers(block)) {
    try {
      await client.csiDrivers.create(driver);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
  }
  const markerFile = join(dataDir, "default-storage.json");
  const marker = await readMarker(markerFile);
  const existing = await client.storageClasses.list();
  const otherDefault = existing.items.find(
    (sc) => sc.metadata.annotations?.[AnnIsDefaultStorageClass] === "true" && sc.metadata.name !== defaultClassName,
  );
  for (const sc of defaultStorageClasses(block, otherDefault === undefined)) {
    const name = sc.metadata.name ?? "";
    if (marker.storageClasses.includes(name)) continue;
    try {
      await client.storageClasses.create(sc);
      said.push(`created StorageClass ${name}${sc.metadata.annotations ? " (default)" : ""} → ${sc.provisioner}`);
      if (name === defaultClassName && otherDefault)
        said.push(`StorageClass ${name} is not marked default: ${otherDefault.metadata.name} already is`);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
    marker.storageClasses.push(name);
    await writeFile(markerFile, JSON.stringify(marker, null, 2) + "\n");
  }
  if (said.length === 0) said.push("default storage: created on an earlier start; classes are kept as they are");
  return said;
}
