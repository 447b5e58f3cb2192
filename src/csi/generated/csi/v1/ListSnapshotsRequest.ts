// Original file: src/csi/proto/csi.proto


export interface ListSnapshotsRequest {
  'max_entries'?: (number);
  'starting_token'?: (string);
  /**
   * Optional filters.
   */
  'source_volume_id'?: (string);
  'snapshot_id'?: (string);
  'secrets'?: ({[key: string]: string});
}

export interface ListSnapshotsRequest__Output {
  'max_entries': (number);
  'starting_token': (string);
  /**
   * Optional filters.
   */
  'source_volume_id': (string);
  'snapshot_id': (string);
  'secrets': ({[key: string]: string});
}
