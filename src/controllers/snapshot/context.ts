// What every step of the snapshot controller works with: the client, the informers' listers and the recorder.
import type { PersistentVolume, PersistentVolumeClaim } from "../../api/core/types.js";
import type { VolumeSnapshot, VolumeSnapshotClass, VolumeSnapshotContent } from "../../api/snapshot/types.js";
import type { Client, EventRecorder, Lister } from "../../client/index.js";

export interface SnapshotContext {
  client: Client;
  snapshots: Lister<VolumeSnapshot>;
  contents: Lister<VolumeSnapshotContent>;
  classes: Lister<VolumeSnapshotClass>;
  claims: Lister<PersistentVolumeClaim>;
  volumes: Lister<PersistentVolume>;
  recorder: EventRecorder;
}

/** upstream's GetDynamicSnapshotContentNameForSnapshot. */
export const contentNameFor = (snapshot: VolumeSnapshot): string => `snapcontent-${snapshot.metadata.uid}`;

export const without = (list: string[] | undefined, item: string): string[] => (list ?? []).filter((f) => f !== item);
