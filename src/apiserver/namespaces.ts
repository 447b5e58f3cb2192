// Namespace lifecycle, as upstream's NamespaceLifecycle admission and namespace controller: objects go only into
// namespaces that exist and are not terminating; the four system namespaces exist from the start and cannot be
// deleted; deleting a namespace marks it Terminating, deletes everything in it (objects with finalizers stay
// until their finalizers are removed), then removes the "kubernetes" finalizer so the namespace itself goes.
import type { KubeObject } from "../api/meta.js";
import type { ResourceDefinition } from "../api/resource.js";
import type { AdmissionPlugin } from "./admission/types.js";
import { feedFromStore } from "./authz/feed.js";
import { forbidden, notFound, StatusError } from "./errors.js";
import { decodeObject } from "./registry/codec.js";
import type { GenericRegistry } from "./registry/generic.js";
import { listPrefix } from "./registry/keys.js";

/** upstream's forceLiveLookupTTL: how long after a namespace DELETE its lookups skip the cache. */
const forceLiveLookupMs = 30_000;

export const systemNamespaces = ["default", "kube-system", "kube-public", "kube-node-lease"];

type NamespaceObject = KubeObject & { spec?: { finalizers?: string[] }; status?: { phase?: string } };

export class NamespaceLifecycle {
  private timer?: NodeJS.Timeout;
  private running = false;
  private again = false;
  /** Namespaces as the store's watch last showed them: true while active (not deleted, not terminating). */
  private readonly active = new Map<string, boolean>();
  /** Namespaces a DELETE was admitted for, read live until then (ms since the epoch). */
  private readonly deleting = new Map<string, number>();
  private readonly feeding = new AbortController();
  /** Whether each namespace (at the revision seen) is terminating. */
  private readonly terminating = new Map<string, { revision: number; value: boolean }>();

  constructor(
    private readonly namespaces: GenericRegistry,
    private readonly registries: () => GenericRegistry[],
    private readonly log: (message: string, err: unknown) => void,
  ) {}

  /** upstream: `namespaces "x" not found` / `unable to create new content in namespace x because it is being terminated`. */
  async check(namespace: string, def: ResourceDefinition): Promise<void> {
    // As upstream's admission, from a watch-fed cache: a namespace seen active needs no store read (on etcd, a
    // round trip of every create). One the cache does not know, one it knows as terminating, and one being
    // deleted (upstream's forceLiveLookup after a DELETE) are read from the store.
    const deleting = this.deleting.get(namespace);
    if (deleting !== undefined && deleting < Date.now()) this.deleting.delete(namespace);
    if (this.active.get(namespace) === true && !this.deleting.has(namespace)) return;
    const kv = await this.namespaces.store.get(this.namespaces.key(undefined, namespace));
    if (!kv) throw notFound({ group: "", resource: "namespaces" }, namespace);
    // every namespaced create asks: decode each namespace version once, not once per create
    let terminating = this.terminating.get(namespace);
    if (terminating?.revision !== kv.modRevision) {
      const ns = decodeObject<NamespaceObject>(kv);
      terminating = {
        revision: kv.modRevision,
        value: !!ns.metadata.deletionTimestamp || ns.status?.phase === "Terminating",
      };
      if (this.terminating.size > 10_000) this.terminating.clear();
      this.terminating.set(namespace, terminating);
    }
    if (terminating.value) {
      throw new StatusError(
        403,
        "Forbidden",
        `${def.plural}${def.group ? "." + def.group : ""} is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`,
        {
          causes: [
            {
              reason: "NamespaceTerminating",
              message: `namespace ${namespace} is being terminated`,
              field: "metadata.namespace",
            },
          ],
        },
      );
    }
  }

  async ensureSystemNamespaces(): Promise<void> {
    for (const name of systemNamespaces) {
      if (await this.namespaces.store.get(this.namespaces.key(undefined, name))) continue;
      try {
        await this.namespaces.create(
          undefined,
          { apiVersion: "v1", kind: "Namespace", metadata: { name } },
          { dryRun: false },
        );
      } catch (err) {
        if (!(err instanceof StatusError && err.reason === "AlreadyExists")) throw err;
      }
    }
  }

  admission(): AdmissionPlugin {
    return {
      name: "NamespaceLifecycle",
      validate: async (attrs) => {
        if (attrs.operation === "DELETE" && attrs.def.group === "" && attrs.def.plural === "namespaces") {
          this.deleting.set(attrs.name, Date.now() + forceLiveLookupMs);
          if (systemNamespaces.includes(attrs.name)) {
            throw forbidden({ group: "", resource: "namespaces" }, attrs.name, "this namespace may not be deleted");
          }
        }
      },
    };
  }

  start(intervalMs = 1000): void {
    const prefix = listPrefix(this.namespaces.def, undefined);
    void feedFromStore(
      this.namespaces.store,
      prefix,
      (object, deleted) => {
        const ns = object as NamespaceObject;
        const active = !ns.metadata.deletionTimestamp && ns.status?.phase !== "Terminating";
        if (deleted) this.active.delete(ns.metadata.name ?? "");
        else this.active.set(ns.metadata.name ?? "", active);
        if (!deleted && !active) this.kick();
      },
      this.feeding.signal,
      this.log,
    );
    this.timer = setInterval(() => this.kick(), intervalMs);
    this.timer.unref();
    this.kick();
  }

  stop(): void {
    this.feeding.abort();
    if (this.timer) clearInterval(this.timer);
  }

  /** Runs a cleanup pass now (and once more after, if one is already running). */
  kick(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    void this.sweep()
      .catch((err) => this.log("namespace cleanup failed; will retry", err))
      .finally(() => {
        this.running = false;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  private async sweep(): Promise<void> {
    // The feed knows every namespace being deleted (and kicks a pass when one starts); with none, a pass would only
    // list every namespace from the store — a round trip per apiserver per second on etcd.
    if (![...this.active.values()].includes(false)) return;
    const store = this.namespaces.store;
    const page = await store.list(listPrefix(this.namespaces.def, undefined));
    for (const kv of page.items) {
      const ns = decodeObject<NamespaceObject>(kv);
      if (!ns.metadata.deletionTimestamp) continue;
      const name = ns.metadata.name!;
      let remaining = 0;
      for (const registry of this.registries()) {
        if (!registry.def.namespaced) continue;
        const objects = await store.list(listPrefix(registry.def, name));
        for (const item of objects.items) {
          remaining++;
          const object = decodeObject(item);
          if (object.metadata.deletionTimestamp) continue; // waiting for its finalizers
          try {
            await registry.delete(name, object.metadata.name!, { dryRun: false, gracePeriodSeconds: 0 });
          } catch (err) {
            if (!(err instanceof StatusError && (err.reason === "NotFound" || err.reason === "Conflict"))) throw err;
          }
        }
      }
      if (remaining > 0) continue;
      // empty: drop the "kubernetes" finalizer; with no metadata finalizers left the namespace goes too
      const fresh = await this.namespaces.get(undefined, name).catch(() => undefined);
      if (!fresh) continue;
      const next = structuredClone(fresh) as NamespaceObject;
      next.spec = { ...(next.spec ?? {}), finalizers: [] };
      await this.namespaces.update(undefined, name, next, { dryRun: false }, "finalize");
    }
  }
}
