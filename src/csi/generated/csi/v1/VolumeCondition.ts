// Original file: src/csi/proto/csi.proto


/**
 * Health as the plugin sees it.
 */
export interface VolumeCondition {
  'abnormal'?: (boolean);
  'message'?: (string);
}

/**
 * Health as the plugin sees it.
 */
export interface VolumeCondition__Output {
  'abnormal': (boolean);
  'message': (string);
}
