// Original file: src/csi/proto/csi.proto

import type { Long } from '@grpc/proto-loader';

export interface ControllerExpandVolumeResponse {
  'capacity_bytes'?: (number | string | Long);
  /**
   * True when NodeExpandVolume must follow on the node.
   */
  'node_expansion_required'?: (boolean);
}

export interface ControllerExpandVolumeResponse__Output {
  'capacity_bytes': (number);
  /**
   * True when NodeExpandVolume must follow on the node.
   */
  'node_expansion_required': (boolean);
}
