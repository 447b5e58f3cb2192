// Original file: src/csi/proto/csi.proto


export interface ControllerPublishVolumeResponse {
  /**
   * Handed to NodeStage/NodePublish on that node.
   */
  'publish_context'?: ({[key: string]: string});
}

export interface ControllerPublishVolumeResponse__Output {
  /**
   * Handed to NodeStage/NodePublish on that node.
   */
  'publish_context': ({[key: string]: string});
}
