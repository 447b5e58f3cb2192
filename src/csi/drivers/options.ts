// What every stowage CSI driver is started with (`stowage csi <driver> --endpoint … --node-id … --state-dir …`).
// Each driver folder exports `startDriver(options: DriverOptions): Promise<RunningDriver>`.

export interface DriverOptions {
  /** unix:///path/csi.sock: where the driver serves Identity, Controller and Node. */
  endpoint: string;
  /** This node's id, returned by NodeGetInfo and the only node ControllerPublish accepts for node-local drivers. */
  nodeId: string;
  /** Where the driver keeps its state and its volumes; survives restarts. */
  stateDir: string;
  /** Total bytes the driver may provision (GetCapacity reports total minus what volumes use); unset: thin, no total. */
  capacity?: number;
  /** NodeGetInfo.max_volumes_per_node; 0 or unset means no limit. */
  maxVolumesPerNode?: number;
  /** Overrides the driver's name (GetPluginInfo), e.g. to run two instances side by side. */
  driverName?: string;
  /** Where diagnostics go; defaults to stderr. */
  log?: (line: string) => void;
}

export interface RunningDriver {
  /** Stops serving (lets running calls finish briefly) and removes the socket. Mounts and state stay. */
  stop(): Promise<void>;
}

export type StartDriver = (options: DriverOptions) => Promise<RunningDriver>;
