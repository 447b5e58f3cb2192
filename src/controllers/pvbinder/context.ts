// What the binder's decisions read and write. The controller wires it to informers and the API client; the
// table tests wire it to an in-memory cluster (testing/world.ts) that enforces resourceVersions like the apiserver.
import type { Node, PersistentVolume, PersistentVolumeClaim, Pod } from "../../api/core/types.js";
import type { KubeObject, ObjectReference } from "../../api/meta.js";
import type { StorageClass } from "../../api/storage/types.js";
import type { VolumeIndex } from "./match.js";
import { isOlder } from "./volumeutil.js";

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
  /**
   * WaitForFirstConsumer claims with volume.kubernetes.io/selected-node: try static volumes whose node affinity
   * admits that node before handing off to a provisioner. Upstream leaves this to the scheduler's volume binder;
   * until stowage's scheduler exists the binder does the same step (default true).
   */
  bindDelayedWithSelectedNode?: boolean;
}

/**
 * The binder's copy of an informer's objects, updated by the informer and by the binder's own writes, so the
 * next decision sees what was just written even before its watch event arrives. Older objects are ignored.
 */
export class ObjectCache<T extends KubeObject> {
  private readonly objects = new Map<string, T>();
  private readonly tombstones = new Tombstones();
  constructor(private readonly keyOf: (object: T) => string) {}

  get(key: string): T | undefined {
    return this.objects.get(key);
  }

  list(): T[] {
    return [...this.objects.values()];
  }

  upsert(object: T): boolean {
    const key = this.keyOf(object);
    const old = this.objects.get(key);
    if (old && isOlder(object, old)) return false;
    if (!old && this.tombstones.buries(key, object)) return false;
    this.objects.set(key, object);
    return true;
  }

  /** `deleted` (the object as the DELETED event carried it) keeps a late answer to our own write from reviving it. */
  remove(key: string, deleted?: T): void {
    this.objects.delete(key);
    if (deleted) this.tombstones.add(key, deleted);
  }
}

/**
 * Recently deleted objects' last resourceVersions. A write the binder made just before a deletion can answer
 * after the informer's DELETED event; without this its (older) result would bring the object back into the cache.
 */
export class Tombstones {
  private readonly entries = new Map<string, { metadata: { resourceVersion?: string } }>();
  constructor(private readonly max = 10_000) {}

  add(key: string, deleted: { metadata: { resourceVersion?: string } }): void {
    this.entries.delete(key);
    this.entries.set(key, { metadata: { resourceVersion: deleted.metadata.resourceVersion } });
    if (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value as string);
  }

  /** True when `object` is not newer than the deletion of `key` (and so must stay deleted). */
  buries(key: string, object: { metadata: { resourceVersion?: string } }): boolean {
    const tomb = this.entries.get(key);
    if (!tomb) return false;
    if (isOlder(tomb, object)) {
      this.entries.delete(key); // re-created since
      return false;
    }
    return true;
  }
}
