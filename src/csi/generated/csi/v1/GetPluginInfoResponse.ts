// Original file: src/csi/proto/csi.proto


export interface GetPluginInfoResponse {
  /**
   * Reverse-domain style plugin name, e.g. hostpath.csi.stowage.dev. Required.
   */
  'name'?: (string);
  /**
   * The plugin's own version string. Required.
   */
  'vendor_version'?: (string);
  /**
   * Free-form build facts (commit, build date, ...).
   */
  'manifest'?: ({[key: string]: string});
}

export interface GetPluginInfoResponse__Output {
  /**
   * Reverse-domain style plugin name, e.g. hostpath.csi.stowage.dev. Required.
   */
  'name': (string);
  /**
   * The plugin's own version string. Required.
   */
  'vendor_version': (string);
  /**
   * Free-form build facts (commit, build date, ...).
   */
  'manifest': ({[key: string]: string});
}
