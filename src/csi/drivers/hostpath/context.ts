// What the hostpath driver's three services share: options, state, storage, locks, and whether mounts work.
import type { Topology } from "../../generated/csi/v1/Topology.js";
import type { OperationLocks } from "./locks.js";
import type { StateFile, VolumeRecord } from "./state.js";
import type { HostpathStorage } from "./storage.js";

export const DRIVER_NAME = "hostpath.csi.stowage.dev";
/** The topology segment every hostpath volume carries: volumes live on the node that created them. */
export const TOPOLOGY_KEY = "topology.hostpath.csi.stowage.dev/node";
/** Total provisionable bytes when --capacity is not given. */
export const DEFAULT_CAPACITY = 100 * 1024 ** 3;
/** Size of a volume created without a capacity range. */
export const DEFAULT_VOLUME_SIZE = 1024 ** 3;

export interface HostpathContext {
  driverName: string;
  nodeId: string;
  capacity: number;
  maxVolumesPerNode: number;
  state: StateFile;
  storage: HostpathStorage;
  locks: OperationLocks;
  /** Why bind mounts do not work here (not root, …), or undefined when they do. */
  mountsUnavailable: string | undefined;
  log: (line: string) => void;
}

export const nodeTopology = (ctx: HostpathContext): Topology => ({ segments: { [TOPOLOGY_KEY]: ctx.nodeId } });

/** Bytes promised to volumes; GetCapacity reports what is left of ctx.capacity. */
export const usedCapacity = (ctx: HostpathContext): number =>
  Object.values(ctx.state.state.volumes).reduce((sum, v) => sum + v.capacityBytes, 0);

/** Whether a volume is in use anywhere: published to a node, staged or published on this node. */
export function usersOf(volume: VolumeRecord): string[] {
  return [
    ...Object.keys(volume.publishedNodes).map((node) => `published to node ${node}`),
    ...Object.keys(volume.staged).map((path) => `staged at ${path}`),
    ...Object.keys(volume.targets).map((path) => `mounted at ${path}`),
  ];
}
