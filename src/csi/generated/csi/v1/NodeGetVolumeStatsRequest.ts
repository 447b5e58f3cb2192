// Original file: src/csi/proto/csi.proto


export interface NodeGetVolumeStatsRequest {
  'volume_id'?: (string);
  /**
   * Any path the volume is published at.
   */
  'volume_path'?: (string);
  'staging_target_path'?: (string);
}

export interface NodeGetVolumeStatsRequest__Output {
  'volume_id': (string);
  /**
   * Any path the volume is published at.
   */
  'volume_path': (string);
  'staging_target_path': (string);
}
