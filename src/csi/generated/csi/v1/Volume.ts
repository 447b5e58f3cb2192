// Original file: src/csi/proto/csi.proto

import type { VolumeContentSource as _csi_v1_VolumeContentSource, VolumeContentSource__Output as _csi_v1_VolumeContentSource__Output } from '../../csi/v1/VolumeContentSource.js';
import type { Topology as _csi_v1_Topology, Topology__Output as _csi_v1_Topology__Output } from '../../csi/v1/Topology.js';
import type { Long } from '@grpc/proto-loader';

export interface Volume {
  /**
   * Zero means unknown.
   */
  'capacity_bytes'?: (number | string | Long);
  /**
   * Plugin-chosen id used in every later call. Required.
   */
  'volume_id'?: (string);
  /**
   * Handed back to the plugin in the Node calls.
   */
  'volume_context'?: ({[key: string]: string});
  'content_source'?: (_csi_v1_VolumeContentSource | null);
  /**
   * Where the volume can be reached; empty means everywhere.
   */
  'accessible_topology'?: (_csi_v1_Topology)[];
}

export interface Volume__Output {
  /**
   * Zero means unknown.
   */
  'capacity_bytes': (number);
  /**
   * Plugin-chosen id used in every later call. Required.
   */
  'volume_id': (string);
  /**
   * Handed back to the plugin in the Node calls.
   */
  'volume_context': ({[key: string]: string});
  'content_source': (_csi_v1_VolumeContentSource__Output | null);
  /**
   * Where the volume can be reached; empty means everywhere.
   */
  'accessible_topology': (_csi_v1_Topology__Output)[];
}
