// Original file: src/csi/proto/csi.proto


export interface ListVolumesRequest {
  /**
   * Zero means "as many as you like".
   */
  'max_entries'?: (number);
  /**
   * A next_token from an earlier page.
   */
  'starting_token'?: (string);
}

export interface ListVolumesRequest__Output {
  /**
   * Zero means "as many as you like".
   */
  'max_entries': (number);
  /**
   * A next_token from an earlier page.
   */
  'starting_token': (string);
}
