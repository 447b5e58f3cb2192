// The driver matrix of the storage testsuites (upstream test/e2e/storage/framework testdriver.go and the external
// driver's manifest): one table says what each of our drivers can do, and each suite's pattern runs against every
// driver whose capabilities allow it; any other cell is skipped, naming the capability that rules it out.
import type { TestContext } from "node:test";
import { blockPrivileges, blockUnavailableReason } from "../parts.js";

/** upstream's storageframework.Capability names, for the patterns we run. */
export type Capability =
  | "persistence" // data survives the pod
  | "exec" // a file on the volume can be executed
  | "fsGroup" // ownership changes for the pod's fsGroup
  | "multiPods" // two pods on one node share a ReadWriteOnce volume
  | "block" // volumeMode: Block
  | "mountOptions" // the class's mountOptions reach the filesystem's mount
  | "snapshotDataSource"
  | "pvcDataSource" // cloning
  | "controllerExpansion"
  | "nodeExpansion"
  | "onlineExpansion"
  | "offlineExpansion"
  | "topology" // volumes are reachable from some nodes only; allowedTopologies are honoured
  | "capacity" // CSIStorageCapacity objects are published
  | "volumeLimits" // NodeGetInfo's max_volumes_per_node is published as the CSINode's allocatable count
  | "readWriteOncePod"
  | "genericEphemeral"
  | "csiInlineEphemeral";

export interface TestDriver {
  /** The short name the matrix and the test names use. */
  name: "hostpath" | "block";
  /** The CSI driver's name (CSIDriver object, provisioner of its class). */
  driverName: string;
  /** The StorageClass `stowage up` makes for it, and its default VolumeSnapshotClass. */
  storageClass: string;
  snapshotClass: string;
  /** The topology key its volumes carry. */
  topologyKey: string;
  /** A filesystem mount option it honours, with how it reads back in /proc/self/mountinfo. */
  mountOption?: { option: string; shows: RegExp };
  capabilities: Partial<Record<Capability, true>>;
  /** Why only `because` rules a capability out, per capability the table leaves off (the note of the matrix). */
  without: Partial<Record<Capability, string>>;
  /** Why the driver cannot run here at all (not root, no loop devices), or undefined. */
  unavailable(): Promise<string | undefined>;
  /** Capabilities this machine takes away (e.g. a missing Linux capability), with why. */
  limitsHere?(): Promise<Partial<Record<Capability, string>>>;
}

const both: Partial<Record<Capability, true>> = {
  persistence: true,
  exec: true,
  fsGroup: true,
  multiPods: true,
  snapshotDataSource: true,
  pvcDataSource: true,
  controllerExpansion: true,
  nodeExpansion: true,
  onlineExpansion: true,
  offlineExpansion: true,
  topology: true,
  readWriteOncePod: true,
  genericEphemeral: true,
};

export const hostpath: TestDriver = {
  name: "hostpath",
  driverName: "hostpath.csi.stowage.dev",
  storageClass: "standard",
  snapshotClass: "standard-snapshots",
  topologyKey: "topology.hostpath.csi.stowage.dev/node",
  capabilities: { ...both, csiInlineEphemeral: true },
  without: {
    capacity:
      "stowage up's hostpath class is thin (the driver runs without --capacity): its CSIDriver has storageCapacity " +
      "false and no CSIStorageCapacity is published",
    block: "hostpath volumes are directories: the driver refuses volumeMode Block",
    mountOptions: "a hostpath volume is a bind mount of a directory: there is no filesystem to pass options to",
    volumeLimits: "stowage up sets no max_volumes_per_node for hostpath (unlimited)",
  },
  unavailable: async () => (process.getuid?.() === 0 ? undefined : "not running as root (no bind mounts)"),
};

export const block: TestDriver = {
  name: "block",
  driverName: "block.csi.stowage.dev",
  storageClass: "block",
  snapshotClass: "block-snapshots",
  topologyKey: "topology.block.csi.stowage.dev/node",
  mountOption: { option: "nodelalloc", shows: /\bnodelalloc\b/ },
  capabilities: { ...both, block: true, mountOptions: true },
  without: {
    capacity: "the block driver's CSIDriver has storageCapacity false: no CSIStorageCapacity is published",
    volumeLimits: "stowage up sets no max_volumes_per_node for block (unlimited)",
    csiInlineEphemeral:
      "the block driver's CSIDriver lists volumeLifecycleModes [Persistent] only: its volumes are provisioned and attached, never made by a publish",
  },
  unavailable: blockUnavailableReason,
  async limitsHere() {
    // ext4 grows while mounted only with CAP_SYS_RESOURCE; without it the driver grows it unmounted, which a
    // running container's mount namespace (runtime process) prevents.
    if ((await blockPrivileges()).canResizeExtOnline) return {};
    return { onlineExpansion: "no CAP_SYS_RESOURCE here: ext4 grows only unmounted, and a running container holds it" };
  },
};

/** The matrix: every driver the suites run against. */
export const testDrivers: readonly TestDriver[] = [hostpath, block];

/**
 * Runs `pattern` as a subtest for `driver` when it has every capability the pattern needs; otherwise the subtest is
 * skipped with the capability that rules it out (the matrix's note).
 */
export async function pattern(
  t: TestContext,
  driver: TestDriver,
  name: string,
  needs: Capability[],
  run: (t: TestContext) => Promise<void>,
): Promise<void> {
  const missing = needs.find((capability) => !driver.capabilities[capability]);
  const title = `[${driver.name}] ${name}`;
  if (missing) {
    await t.test(
      title,
      { skip: `${missing}: ${driver.without[missing] ?? "not in the driver's capabilities"}` },
      () => {},
    );
    return;
  }
  await t.test(title, run);
}

/**
 * The matrix as it runs on this machine: each driver with the capabilities this machine allows, or why it cannot
 * run here at all.
 */
export async function driversHere(): Promise<Array<{ driver: TestDriver; unavailable?: string }>> {
  const out: Array<{ driver: TestDriver; unavailable?: string }> = [];
  for (const driver of testDrivers) {
    const unavailable = await driver.unavailable();
    const limits = unavailable ? {} : ((await driver.limitsHere?.()) ?? {});
    const capabilities = { ...driver.capabilities };
    for (const capability of Object.keys(limits) as Capability[]) delete capabilities[capability];
    out.push({ driver: { ...driver, capabilities, without: { ...driver.without, ...limits } }, unavailable });
  }
  return out;
}
