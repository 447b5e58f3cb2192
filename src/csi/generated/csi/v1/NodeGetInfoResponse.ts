// Original file: src/csi/proto/csi.proto

import type { Topology as _csi_v1_Topology, Topology__Output as _csi_v1_Topology__Output } from '../../csi/v1/Topology.js';
import type { Long } from '@grpc/proto-loader';

export interface NodeGetInfoResponse {
  /**
   * The id the Controller calls use for this node. Required.
   */
  'node_id'?: (string);
  /**
   * Zero means no limit.
   */
  'max_volumes_per_node'?: (number | string | Long);
  'accessible_topology'?: (_csi_v1_Topology | null);
}

export interface NodeGetInfoResponse__Output {
  /**
   * The id the Controller calls use for this node. Required.
   */
  'node_id': (string);
  /**
   * Zero means no limit.
   */
  'max_volumes_per_node': (number);
  'accessible_topology': (_csi_v1_Topology__Output | null);
}
