// Original file: src/csi/proto/csi.proto


export interface ControllerUnpublishVolumeRequest {
  'volume_id'?: (string);
  /**
   * Empty means "from every node".
   */
  'node_id'?: (string);
  'secrets'?: ({[key: string]: string});
}

export interface ControllerUnpublishVolumeRequest__Output {
  'volume_id': (string);
  /**
   * Empty means "from every node".
   */
  'node_id': (string);
  'secrets': ({[key: string]: string});
}
