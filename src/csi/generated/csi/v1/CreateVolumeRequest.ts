// Original file: src/csi/proto/csi.proto

import type { CapacityRange as _csi_v1_CapacityRange, CapacityRange__Output as _csi_v1_CapacityRange__Output } from '../../csi/v1/CapacityRange.js';
import type { VolumeCapability as _csi_v1_VolumeCapability, VolumeCapability__Output as _csi_v1_VolumeCapability__Output } from '../../csi/v1/VolumeCapability.js';
import type { VolumeContentSource as _csi_v1_VolumeContentSource, VolumeContentSource__Output as _csi_v1_VolumeContentSource__Output } from '../../csi/v1/VolumeContentSource.js';
import type { TopologyRequirement as _csi_v1_TopologyRequirement, TopologyRequirement__Output as _csi_v1_TopologyRequirement__Output } from '../../csi/v1/TopologyRequirement.js';

export interface CreateVolumeRequest {
  /**
   * Caller-chosen name that makes the call idempotent. Required.
   */
  'name'?: (string);
  'capacity_range'?: (_csi_v1_CapacityRange | null);
  /**
   * What the volume must support. Required, at least one.
   */
  'volume_capabilities'?: (_csi_v1_VolumeCapability)[];
  /**
   * Opaque, plugin-defined (StorageClass parameters).
   */
  'parameters'?: ({[key: string]: string});
  'secrets'?: ({[key: string]: string});
  /**
   * Pre-populate from a snapshot or another volume.
   */
  'volume_content_source'?: (_csi_v1_VolumeContentSource | null);
  'accessibility_requirements'?: (_csi_v1_TopologyRequirement | null);
  'mutable_parameters'?: ({[key: string]: string});
}

export interface CreateVolumeRequest__Output {
  /**
   * Caller-chosen name that makes the call idempotent. Required.
   */
  'name': (string);
  'capacity_range': (_csi_v1_CapacityRange__Output | null);
  /**
   * What the volume must support. Required, at least one.
   */
  'volume_capabilities': (_csi_v1_VolumeCapability__Output)[];
  /**
   * Opaque, plugin-defined (StorageClass parameters).
   */
  'parameters': ({[key: string]: string});
  'secrets': ({[key: string]: string});
  /**
   * Pre-populate from a snapshot or another volume.
   */
  'volume_content_source': (_csi_v1_VolumeContentSource__Output | null);
  'accessibility_requirements': (_csi_v1_TopologyRequirement__Output | null);
  'mutable_parameters': ({[key: string]: string});
}
