// What the hostpath driver's three services share: options, state, storage, locks, and whether mounts work.
import { Code, CsiError } from "../../errors.js";
import type { Topology } from "../../generated/csi/v1/Topology.js";
import type { ControllerService, NodeService } from "../../server.js";
import type { OperationLocks } from "../core/locks.js";
import type { Rpc } from "../core/rpc.js";
import type { Capability } from "../requests.js";
import type { StateFile, VolumeRecord } from "./state.js";
import type { HostpathStorage } from "./storage.js";

export const DRIVER_NAME = "hostpath.csi.stowage.dev";
/** The topology segment every hostpath volume carries: volumes live on the node that created them. */
export const TOPOLOGY_KEY = "topology.hostpath.csi.stowage.dev/node";
/**
 * The largest volume of a driver without --capacity (csi-driver-host-path's --max-volume-size default). Such a
 * driver is thin, as kind's and k3s's local-path classes are: directories take only what is written, so any
 * tutorial size is given and nothing is accounted.
 */
export const MAX_VOLUME_SIZE = 1024 ** 4;
/** Size of a volume created without a capacity range. */
export const DEFAULT_VOLUME_SIZE = 1024 ** 3;

export interface HostpathContext {
  driverName: string;
  nodeId: string;
  /** Total provisionable bytes (--capacity), accounted per volume; undefined: thin, up to MAX_VOLUME_SIZE each. */
  capacity: number | undefined;
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
export const usedCapacity = (ctx: HostpathContext): number => ctx.state.usedBytes();

/** What a new volume, or a volume's growth, may take: what is left of --capacity, else one whole volume's maximum. */
export const availableCapacity = (ctx: HostpathContext): number =>
  ctx.capacity === undefined ? MAX_VOLUME_SIZE : Math.max(0, ctx.capacity - usedCapacity(ctx));

/** Whether a volume is in use anywhere: published to a node, staged or published on this node. */
export function usersOf(volume: VolumeRecord): string[] {
  return [
    ...Object.keys(volume.publishedNodes).map((node) => `published to node ${node}`),
    ...Object.keys(volume.staged).map((path) => `staged at ${path}`),
    ...Object.keys(volume.targets).map((path) => `mounted at ${path}`),
  ];
}

/** The volume's record; NOT_FOUND for an id this driver never made (or already deleted). */
export function volumeOf(ctx: HostpathContext, id: string): VolumeRecord {
  const volume = ctx.state.state.volumes[id];
  if (!volume) throw new CsiError(Code.NOT_FOUND, `volume ${id} not found`);
  return volume;
}

/** Hostpath volumes are directories: the block access type cannot be served. */
export function refuseBlock(capabilities: Capability[], field: string): void {
  const index = capabilities.findIndex((c) => c.accessType === "block");
  if (index >= 0) {
    throw new CsiError(
      Code.INVALID_ARGUMENT,
      `${field}[${index}]: access type block is not supported by the hostpath driver (volumes are directories)`,
    );
  }
}

/** One Controller RPC of this driver: its context and the decoded request → the response. */
export type ControllerRpc<K extends keyof ControllerService> = Rpc<HostpathContext, ControllerService, K>;

/** One Node RPC of this driver: its context and the decoded request → the response. */
export type NodeRpc<K extends keyof NodeService> = Rpc<HostpathContext, NodeService, K>;
