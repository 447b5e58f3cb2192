// What the binder's decisions read and write. The controller wires it to informers and the API client; the
// table tests wire it to an in-memory cluster (testing/world.ts) that enforces resourceVersions like the apiserver.
// Types only: the caches are in cache.ts and the volume index in match.ts, which import nothing from here.
import type { Node, PersistentVolume, PersistentVolumeClaim, Pod } from "../../api/core/types.js";
import type { KubeObject, ObjectReference } from "../../api/meta.js";
import type { StorageClass } from "../../api/storage/types.js";
import type { ObjectCache } from "./cache.js";
import type { VolumeIndex } from "./match.js";

/** The writes and live reads the binder makes. Gets answer undefined for NotFound; other errors throw. */
export interface BinderApi {
  updateVolume(volume: PersistentVolume): Promise<PersistentVolume>;
  updateVolumeStatus(volume: PersistentVolume): Promise<PersistentVolume>;
  deleteVolume(volume: PersistentVolume): Promise<void>;
  getVolume(name: string): Promise<PersistentVolume | undefined>;
  updateClaim(claim: PersistentVolumeClaim): Promise<PersistentVolumeClaim>;
  updateClaimStatus(claim: PersistentVolumeClaim): Promise<PersistentVolumeClaim>;
  getClaim(namespace: string, name: string): Promise<PersistentVolumeClaim | undefined>;
}

export interface Recorder {
  event(object: KubeObject | ObjectReference, type: "Normal" | "Warning", reason: string, message: string): void;
}

export interface BinderContext {
  api: BinderApi;
  volumes: VolumeIndex;
  claims: ObjectCache<PersistentVolumeClaim>;
  classes: { get(name: string): StorageClass | undefined; list(): StorageClass[] };
  nodes: { get(name: string): Node | undefined };
  /** Pods in the claim's namespace whose volumes name the claim (persistentVolumeClaim or ephemeral). */
  podsUsingClaim(namespace: string, name: string): Pod[];
  recorder: Recorder;
  /** Ask for syncClaim of namespace/name soon (from syncVolume, as upstream's claimQueue.Add). */
  enqueueClaim(key: string): void;
  /** hostPath directories the Delete and Recycle policies may touch (upstream's deleter allows only /tmp). */
  hostPathReclaimRoots: string[];
  /** Directories no reclaim may remove or empty, nor any directory containing them: stowage's data dir. */
  protectedPaths?: string[];
  /**
   * WaitForFirstConsumer claims with volume.kubernetes.io/selected-node: try static volumes whose node affinity
   * admits that node before handing off to a provisioner. Upstream leaves this to the scheduler's volume binder;
   * until stowage's scheduler exists the binder does the same step (default true).
   */
  bindDelayedWithSelectedNode?: boolean;
}
