// A small in-memory cluster for the binder's table tests: it stores PVs and PVCs with resourceVersions and
// answers writes like the apiserver does (409 on a stale resourceVersion, spec writes keep status, status
// writes keep spec), records events, and runs the binder to a fixed point the way the informers and queues
// would. It decides nothing itself: what changes is what binder.ts wrote.
import type { Node, PersistentVolume, PersistentVolumeClaim, Pod } from "../../../api/core/types.js";
import type { KubeObject, ObjectReference } from "../../../api/meta.js";
import type { StorageClass } from "../../../api/storage/types.js";
import { syncClaim, syncVolume } from "../binder.js";
import type { BinderApi, BinderContext } from "../context.js";
import { ObjectCache } from "../cache.js";
import { VolumeIndex } from "../match.js";
import { claimKey } from "../volumeutil.js";

export class ConflictError extends Error {}

export interface RecordedEvent {
  kind: string;
  name: string;
  type: string;
  reason: string;
  message: string;
}

export interface WorldObjects {
  volumes?: PersistentVolume[];
  claims?: PersistentVolumeClaim[];
  classes?: StorageClass[];
  pods?: Pod[];
  nodes?: Node[];
}

const clone = <T>(o: T): T => structuredClone(o) as T;

export class World {
  private revision = 1;
  readonly volumes = new Map<string, PersistentVolume>();
  readonly claims = new Map<string, PersistentVolumeClaim>();
  readonly classes: StorageClass[];
  readonly pods: Pod[];
  readonly nodes: Node[];
  readonly events: RecordedEvent[] = [];
  readonly ctx: BinderContext;
  private readonly enqueued = new Set<string>();

  constructor(objects: WorldObjects, options: { hostPathReclaimRoots?: string[]; protectedPaths?: string[] } = {}) {
    for (const volume of objects.volumes ?? []) this.putVolume(volume);
    for (const claim of objects.claims ?? []) this.putClaim(claim);
    this.classes = objects.classes ?? [];
    this.pods = objects.pods ?? [];
    this.nodes = objects.nodes ?? [];
    const api: BinderApi = {
      updateVolume: async (v) => this.write(this.volumes, v.metadata.name ?? "", v, "spec"),
      updateVolumeStatus: async (v) => this.write(this.volumes, v.metadata.name ?? "", v, "status"),
      deleteVolume: async (v) => {
        this.volumes.delete(v.metadata.name ?? "");
      },
      getVolume: async (name) => clone(this.volumes.get(name)),
      updateClaim: async (c) => this.write(this.claims, claimKey(c), c, "spec"),
      updateClaimStatus: async (c) => this.write(this.claims, claimKey(c), c, "status"),
      getClaim: async (namespace, name) => clone(this.claims.get(`${namespace}/${name}`)),
    };
    this.ctx = {
      api,
      volumes: new VolumeIndex(),
      claims: new ObjectCache<PersistentVolumeClaim>(claimKey),
      classes: {
        get: (name) => this.classes.find((c) => c.metadata.name === name),
        list: () => this.classes,
      },
      nodes: { get: (name) => this.nodes.find((n) => n.metadata.name === name) },
      podsUsingClaim: (namespace, name) =>
        this.pods.filter(
          (p) =>
            p.metadata.namespace === namespace &&
            (p.spec.volumes ?? []).some((v) => v.persistentVolumeClaim?.claimName === name),
        ),
      recorder: {
        event: (object: KubeObject | ObjectReference, type, reason, message) => {
          const kind = "metadata" in object ? object.kind : (object.kind ?? "");
          const name = "metadata" in object ? (object.metadata.name ?? "") : (object.name ?? "");
          this.events.push({ kind, name, type, reason, message });
        },
      },
      enqueueClaim: (key) => this.enqueued.add(key),
      hostPathReclaimRoots: options.hostPathReclaimRoots ?? ["/tmp"],
      protectedPaths: options.protectedPaths,
    };
  }

  putVolume(volume: PersistentVolume): void {
    const v = clone(volume);
    v.metadata.resourceVersion = String(++this.revision);
    this.volumes.set(v.metadata.name ?? "", v);
  }

  putClaim(claim: PersistentVolumeClaim): void {
    const c = clone(claim);
    c.metadata.resourceVersion = String(++this.revision);
    c.metadata.uid ??= `uid-${c.metadata.name}`;
    this.claims.set(claimKey(c), c);
  }

  deleteClaim(namespace: string, name: string): void {
    this.claims.delete(`${namespace}/${name}`);
  }

  volume(name: string): PersistentVolume | undefined {
    return this.volumes.get(name);
  }

  claim(name: string, namespace = "default"): PersistentVolumeClaim | undefined {
    return this.claims.get(`${namespace}/${name}`);
  }

  private write<T extends KubeObject & { status?: unknown }>(
    map: Map<string, T>,
    key: string,
    object: T,
    part: "spec" | "status",
  ): T {
    const stored = map.get(key);
    if (!stored) throw new Error(`not found: ${key}`);
    if (stored.metadata.resourceVersion !== object.metadata.resourceVersion) throw new ConflictError(key);
    const next = clone(object);
    if (part === "spec") next.status = clone(stored.status);
    else {
      const status = next.status;
      Object.assign(next, clone(stored));
      next.status = status;
    }
    next.metadata.resourceVersion = String(++this.revision);
    map.set(key, next);
    return clone(next);
  }

  /** What the informers would deliver now: the caches become the stored objects. */
  private deliver(): void {
    for (const v of this.ctx.volumes.list())
      if (!this.volumes.has(v.metadata.name ?? "")) this.ctx.volumes.remove(v.metadata.name ?? "");
    for (const v of this.volumes.values()) this.ctx.volumes.upsert(clone(v));
    for (const c of this.ctx.claims.list()) if (!this.claims.has(claimKey(c))) this.ctx.claims.remove(claimKey(c));
    for (const c of this.claims.values()) this.ctx.claims.upsert(clone(c));
  }

  /** Syncs every claim and volume, round after round, until a round writes nothing (at most `rounds`). */
  async converge(rounds = 10): Promise<void> {
    for (let i = 0; i < rounds; i++) {
      const before = this.revision;
      const deletedBefore = this.volumes.size;
      this.deliver();
      for (const key of [...this.claims.keys()].sort()) await syncClaim(this.ctx, key);
      this.deliver();
      for (const name of [...this.volumes.keys()].sort()) await syncVolume(this.ctx, name);
      for (const key of this.enqueued) {
        this.enqueued.delete(key);
        this.deliver();
        await syncClaim(this.ctx, key);
      }
      if (this.revision === before && this.volumes.size === deletedBefore) return;
    }
  }

  reasons(name: string): string[] {
    return this.events.filter((e) => e.name === name).map((e) => e.reason);
  }
}
