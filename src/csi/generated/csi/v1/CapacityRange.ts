// Original file: src/csi/proto/csi.proto

import type { Long } from '@grpc/proto-loader';

/**
 * Zero in either field means "no bound on this side".
 */
export interface CapacityRange {
  'required_bytes'?: (number | string | Long);
  'limit_bytes'?: (number | string | Long);
}

/**
 * Zero in either field means "no bound on this side".
 */
export interface CapacityRange__Output {
  'required_bytes': (number);
  'limit_bytes': (number);
}
