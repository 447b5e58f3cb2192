// Original file: src/csi/proto/csi.proto

import type { Topology as _csi_v1_Topology, Topology__Output as _csi_v1_Topology__Output } from '../../csi/v1/Topology.js';

export interface TopologyRequirement {
  /**
   * The volume must be reachable from at least one of these.
   */
  'requisite'?: (_csi_v1_Topology)[];
  /**
   * In order of preference.
   */
  'preferred'?: (_csi_v1_Topology)[];
}

export interface TopologyRequirement__Output {
  /**
   * The volume must be reachable from at least one of these.
   */
  'requisite': (_csi_v1_Topology__Output)[];
  /**
   * In order of preference.
   */
  'preferred': (_csi_v1_Topology__Output)[];
}
