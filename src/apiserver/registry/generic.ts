// One generic registry per ResourceDefinition: the Kubernetes semantics of create, update, status, delete,
// get, list and watch on top of the revisioned store (upstream's k8s.io/apiserver/pkg/registry/generic/registry
// Store, driven by a strategy — here the ResourceDefinition).
import { randomUUID } from "node:crypto";
import type { KubeObject, ObjectMeta } from "../../api/meta.js";
import type { ResourceDefinition } from "../../api/resource.js";
import { deepEqual } from "../../api/validation/meta.js";
import { KeyExistsError, KeyNotFoundError, RevisionMismatchError } from "../../store/store.js";
import type { KeyValue, Store } from "../../store/store.js";
import type { AdmissionAttributes, AdmissionChain } from "../admission/types.js";
import { alreadyExists, badRequest, conflict, invalid, notFound, StatusError } from "../errors.js";
import { trackUpdate } from "../apply/managedfields.js";
import { decodeObject, encodeObject } from "./codec.js";
import { objectKey } from "./keys.js";
import type { DeleteOptions, WriteOptions } from "./options.js";
import {
  checkResourceVersion,
  checkUpdateTarget,
  finishesDeletion,
  keepServerOwned,
  pendingSpecFinalizers,
  updateErrors,
  type UpdateSubresource,
} from "./update.js";

export interface RegistryContext {
  store: Store;
  admission(): AdmissionChain;
  /** Refuses a create in a namespace that does not exist or is terminating (upstream's NamespaceLifecycle). */
  checkNamespace(namespace: string, def: ResourceDefinition): Promise<void>;
  now(): Date;
}

/** What a write answered: the object, and whether a delete removed it (false: it is now Terminating). */
export interface DeleteResult {
  object: KubeObject;
  deleted: boolean;
}

export const rfc3339 = (date: Date): string => date.toISOString().replace(/\.\d{3}Z$/, "Z");

export class GenericRegistry {
  constructor(
    readonly def: ResourceDefinition,
    protected readonly ctx: RegistryContext,
  ) {}

  get store(): Store {
    return this.ctx.store;
  }

  get resource() {
    return { group: this.def.group, resource: this.def.plural };
  }

  key(namespace: string | undefined, name: string): string {
    return objectKey(this.def, namespace, name);
  }

  async getKv(namespace: string | undefined, name: string): Promise<KeyValue> {
    const kv = await this.ctx.store.get(this.key(namespace, name));
    if (!kv) throw notFound(this.resource, name);
    return kv;
  }

  async get(namespace: string | undefined, name: string): Promise<KubeObject> {
    return decodeObject(await this.getKv(namespace, name));
  }

  // ---- create ---------------------------------------------------------------------------------------------

  async create(namespace: string | undefined, object: KubeObject, options: WriteOptions): Promise<KubeObject> {
    const def = this.def;
    const meta: ObjectMeta = (object.metadata ??= {});
    if (def.namespaced) {
      if (meta.namespace && namespace && meta.namespace !== namespace) {
        throw badRequest("the namespace of the provided object does not match the namespace sent on the request");
      }
      meta.namespace = namespace ?? meta.namespace;
    } else {
      delete meta.namespace;
    }
    if (meta.resourceVersion) {
      throw badRequest("resourceVersion should not be set on objects to be created");
    }
    const generated = !meta.name && !!meta.generateName;
    if (generated) meta.name = generateName(meta.generateName!);
    // Server-owned metadata: what the client sent is replaced, as upstream's BeforeCreate does.
    meta.uid = randomUUID();
    meta.creationTimestamp = rfc3339(this.ctx.now());
    // Only kinds whose strategy tracks generation set it (upstream 1.32: StatefulSet's PrepareForCreate, and every
    // custom resource, e.g. the snapshot kinds); PVs, PVCs, Pods, StorageClasses… keep whatever the client sent,
    // as upstream's BeforeCreate leaves it alone.
    if (tracksGeneration(def)) meta.generation = 1;
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    if (!options.managedFieldsSet) delete meta.managedFields;
    delete meta.resourceVersion;

    def.prepareForCreate?.(object);
    def.applyDefaults(object);
    const attrs = this.attrs("CREATE", namespace, meta.name ?? "", "", options, object);
    await this.ctx.admission().admit(attrs);
    const errors = def.validateCreate(object);
    if (errors.length) throw invalid(def.group, def.kind, meta.name ?? "", errors);
    if (def.namespaced && meta.namespace) await this.ctx.checkNamespace(meta.namespace, def);
    await this.ctx.admission().validate(attrs);
    this.trackManagedFields(undefined, object, options, "");

    if (options.dryRun) {
      if (await this.ctx.store.get(this.key(meta.namespace, meta.name!)))
        throw alreadyExists(this.resource, meta.name!);
      return object;
    }
    for (let attempt = 0; ; attempt++) {
      try {
        const kv = await this.ctx.store.create(this.key(meta.namespace, meta.name!), encodeObject(object));
        object.metadata.resourceVersion = String(kv.modRevision);
        return object;
      } catch (err) {
        if (!(err instanceof KeyExistsError)) throw err;
        // a generated name collided: upstream retries with a fresh suffix
        if (generated && attempt < 8) {
          meta.name = generateName(meta.generateName!);
          continue;
        }
        throw alreadyExists(this.resource, meta.name!);
      }
    }
  }

  // ---- update (main resource and status) ------------------------------------------------------------------

  /**
   * PUT: the new object replaces the old one, except what the server owns. `subresource` "status" writes only
   * status; "" writes everything but status (for definitions with a status subresource).
   * `preferCurrent`: a patch computed against `old` — its resourceVersion is the one to expect.
   */
  async update(
    namespace: string | undefined,
    name: string,
    object: KubeObject,
    options: WriteOptions,
    subresource: UpdateSubresource = "",
    current?: KeyValue,
    /** A server-internal write (pods/binding) that may change what users may not: skips validateUpdate. */
    internal = false,
  ): Promise<KubeObject> {
    const def = this.def;
    checkUpdateTarget(def, object, namespace, name);
    const kv = current ?? (await this.getKv(namespace, name));
    const old = decodeObject(kv);
    checkResourceVersion(def, object, old);
    keepServerOwned(def, object, old, subresource);
    // status and finalize replaced the whole object with the stored one: later writes to metadata (the new
    // resourceVersion) must land on the object we answer with
    const meta = object.metadata;

    def.applyDefaults(object);
    const attrs = this.attrs("UPDATE", namespace, name, subresource, options, object, old);
    await this.ctx.admission().admit(attrs);
    // the strategy's PrepareForUpdate (main or status), after mutating admission and before validation as upstream
    if (subresource !== "finalize") def.prepareForUpdate?.(object, old, subresource, this.ctx.now());
    const errors = updateErrors(def, object, old, subresource, internal);
    if (errors.length) throw invalid(def.group, def.kind, name, errors);
    await this.ctx.admission().validate(attrs);

    if (subresource === "" && def.bumpsGeneration?.(object, old)) meta.generation = (old.metadata.generation ?? 0) + 1;
    if (finishesDeletion(def, object, old)) {
      if (options.dryRun) return object;
      try {
        const deleted = await this.ctx.store.delete(this.key(namespace, name), kv.modRevision);
        return { ...object, metadata: { ...object.metadata, resourceVersion: String(deleted.modRevision) } };
      } catch (err) {
        throw this.storeError(err, name);
      }
    }

    this.trackManagedFields(old, object, options, subresource === "status" ? "status" : "");
    meta.resourceVersion = old.metadata.resourceVersion;
    if (deepEqual(object, old)) return old; // a no-op write bumps nothing, as upstream
    if (options.dryRun) return object;
    try {
      const written = await this.ctx.store.update(this.key(namespace, name), encodeObject(object), kv.modRevision);
      meta.resourceVersion = String(written.modRevision);
      return object;
    } catch (err) {
      throw this.storeError(err, name);
    }
  }

  /** The write's managedFields entry for its field manager, as an Update (server-side apply sets its own). */
  private trackManagedFields(
    old: KubeObject | undefined,
    object: KubeObject,
    options: WriteOptions,
    subresource: "" | "status",
  ): void {
    if (!options.fieldManager || options.managedFieldsSet) return;
    const entries = trackUpdate(this.def, old, object, options.fieldManager, subresource, this.ctx.now());
    if (entries) object.metadata.managedFields = entries;
    else delete object.metadata.managedFields;
  }

  // ---- delete ---------------------------------------------------------------------------------------------

  async delete(namespace: string | undefined, name: string, options: DeleteOptions): Promise<DeleteResult> {
    for (let attempt = 0; ; attempt++) {
      const kv = await this.getKv(namespace, name);
      try {
        return await this.deleteOnce(namespace, name, kv, options);
      } catch (err) {
        // Someone wrote between our read and our write: read again, unless the caller pinned a version.
        const retry =
          err instanceof StatusError && err.reason === "Conflict" && !options.preconditions?.resourceVersion;
        if (!retry || attempt >= 5 || !(err as StatusError & { retriable?: boolean }).retriable) throw err;
      }
    }
  }

  private async deleteOnce(
    namespace: string | undefined,
    name: string,
    kv: KeyValue,
    options: DeleteOptions,
  ): Promise<DeleteResult> {
    const object = decodeObject(kv);
    const meta = object.metadata;
    const pre = options.preconditions;
    if (pre?.uid && pre.uid !== meta.uid) {
      throw conflict(
        this.resource,
        name,
        `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${meta.uid ?? ""}`,
      );
    }
    if (pre?.resourceVersion && pre.resourceVersion !== meta.resourceVersion) {
      throw conflict(
        this.resource,
        name,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${meta.resourceVersion ?? ""}`,
      );
    }
    await this.ctx.admission().validate(this.attrs("DELETE", namespace, name, "", options, undefined, object));

    const finalizers = [...(meta.finalizers ?? [])];
    // Orphan and Foreground are carried out by the garbage collector through these finalizers (as upstream).
    if (options.propagationPolicy === "Orphan" && !finalizers.includes("orphan") && !meta.deletionTimestamp) {
      finalizers.push("orphan");
    } else if (
      options.propagationPolicy === "Foreground" &&
      !finalizers.includes("foregroundDeletion") &&
      !meta.deletionTimestamp
    ) {
      finalizers.push("foregroundDeletion");
    }
    const grace = this.gracePeriod(object, options);

    if (finalizers.length || grace > 0 || pendingSpecFinalizers(this.def, object).length) {
      if (meta.deletionTimestamp && deepEqual(finalizers, meta.finalizers ?? [])) {
        return { object, deleted: false }; // already Terminating: deleting again changes nothing
      }
      const next = structuredClone(object);
      next.metadata.finalizers = finalizers.length ? finalizers : undefined;
      if (!next.metadata.finalizers) delete next.metadata.finalizers;
      next.metadata.deletionTimestamp ??= rfc3339(new Date(this.ctx.now().getTime() + grace * 1000));
      next.metadata.deletionGracePeriodSeconds ??= grace;
      if (this.def.group === "" && this.def.plural === "namespaces") {
        (next as KubeObject & { status?: { phase?: string } }).status = {
          ...((next as KubeObject & { status?: object }).status ?? {}),
          phase: "Terminating",
        };
      }
      if (options.dryRun) return { object: next, deleted: false };
      try {
        const written = await this.ctx.store.update(kv.key, encodeObject(next), kv.modRevision);
        next.metadata.resourceVersion = String(written.modRevision);
        return { object: next, deleted: false };
      } catch (err) {
        throw this.storeError(err, name);
      }
    }
    if (options.dryRun) return { object, deleted: true };
    try {
      const deleted = await this.ctx.store.delete(kv.key, kv.modRevision);
      object.metadata.resourceVersion = String(deleted.modRevision);
      return { object, deleted: true };
    } catch (err) {
      throw this.storeError(err, name);
    }
  }

  /**
   * Only pods bound to a node are deleted gracefully (the node agent confirms with gracePeriodSeconds=0), as
   * upstream's pod strategy; everything else goes at once.
   */
  private gracePeriod(object: KubeObject, options: DeleteOptions): number {
    if (this.def.group !== "" || this.def.plural !== "pods") return 0;
    const pod = object as KubeObject & { spec?: { nodeName?: string; terminationGracePeriodSeconds?: number } };
    if (!pod.spec?.nodeName) return 0;
    if (object.metadata.deletionTimestamp) return 0;
    const grace = options.gracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? 30;
    return grace > 0 ? grace : 0;
  }

  // ---- helpers --------------------------------------------------------------------------------------------

  private attrs(
    operation: AdmissionAttributes["operation"],
    namespace: string | undefined,
    name: string,
    subresource: string,
    options: WriteOptions,
    object?: KubeObject,
    old?: KubeObject,
  ): AdmissionAttributes {
    return {
      operation,
      def: this.def,
      namespace,
      name,
      subresource,
      object,
      old,
      dryRun: options.dryRun,
      user: options.user,
      warnings: options.warnings ?? [],
      auditAnnotations: options.auditAnnotations ?? {},
    };
  }

  storeError(err: unknown, name: string): unknown {
    if (err instanceof RevisionMismatchError) {
      const e = conflict(this.resource, name) as StatusError & { retriable?: boolean };
      e.retriable = true;
      return e;
    }
    if (err instanceof KeyNotFoundError) return notFound(this.resource, name);
    if (err instanceof KeyExistsError) return alreadyExists(this.resource, name);
    return err;
  }
}

/** Kinds whose strategy keeps metadata.generation (set to 1 on create, bumped on spec changes). */
const tracksGeneration = (def: ResourceDefinition): boolean => def.bumpsGeneration !== undefined;

const alphabet = "bcdfghjklmnpqrstvwxz2456789";
/** upstream's SimpleNameGenerator: the prefix (cut to 58 characters) plus five random characters. */
export function generateName(base: string): string {
  const prefix = base.length > 58 ? base.slice(0, 58) : base;
  let suffix = "";
  for (let i = 0; i < 5; i++) suffix += alphabet[Math.floor(Math.random() * alphabet.length)];
  return prefix + suffix;
}
