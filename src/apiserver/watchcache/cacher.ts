// One resource's watch cache (upstream's Cacher): primed by a list, then kept by ONE store watch from that list's
// revision; lists and watches of the resource are answered from it. Lists at resourceVersion "0" take the cache as
// it is; consistent lists (no resourceVersion) first make sure the cache has caught up with the store's current
// revision (upstream 1.31+'s ConsistentListFromCache); watches replay the window of recent events and then share
// each live event, encoded once, with every watcher that wants it. What it cannot serve it says so (undefined),
// and the caller reads the store as before (see serve.ts).
import type { ResourceDefinition } from "../../api/resource.js";
import { StoreClosedError } from "../../store/store.js";
import type { KeyValue, Revision, Store, WatchEvent, WatchProgress } from "../../store/store.js";
import { tooOldResourceVersion } from "../errors.js";
import { listPrefix, resourcePrefix } from "../registry/keys.js";
import { parseResourceVersion, type ListPage, type ListRequest } from "../registry/list.js";
import { selectsEverything } from "../registry/select.js";
import type { RegistryWatchEvent, WatchRequest } from "../registry/watch.js";
import { bytesOf, objectOf } from "./encoded.js";
import { CachedEvent } from "./event.js";
import { CacheIndex } from "./index.js";
import { CacheWatcher } from "./watcher.js";
import { EventWindow } from "./window.js";
import { sleep } from "../../support/sleep.js";

export interface CacherOptions {
  /** Recent events kept for watches that resume from an older resourceVersion. */
  capacity?: number;
  /** How long a read waits for the cache to catch up before the store answers it instead (upstream: 3 s). */
  freshnessTimeoutMs?: number;
  /** Events held for a watcher whose client stopped reading before that watch is ended. */
  watcherBufferLimit?: number;
  log: (message: string, err?: unknown) => void;
}

export class Cacher {
  private index: CacheIndex;
  readonly window: EventWindow<CachedEvent>;
  /** Every event of the resource at or below it is in the cache. */
  revision: Revision = 0;
  /** The revision the cache was listed at: it never saw what came before. */
  private startRevision: Revision = 0;
  private primed = false;
  /** True while the cache's loop waits on the store watch with every event it was handed applied. */
  private idle = false;
  private progressSeen = 0;
  private readonly watchers = new Set<CacheWatcher>();
  private readonly waiters = new Set<() => void>();
  private readonly stopping = new AbortController();
  private readonly base: string;
  private readonly freshnessTimeoutMs: number;
  private readonly watcherBufferLimit: number;

  constructor(
    readonly store: Store,
    readonly def: ResourceDefinition,
    private readonly options: CacherOptions,
  ) {
    this.base = resourcePrefix(def);
    this.index = new CacheIndex(this.base, def.namespaced);
    this.window = new EventWindow(options.capacity ?? 10_000);
    this.freshnessTimeoutMs = options.freshnessTimeoutMs ?? 3000;
    this.watcherBufferLimit = options.watcherBufferLimit ?? 10_000;
  }

  start(): void {
    void this.run();
  }

  stop(): void {
    this.stopping.abort();
    this.primed = false;
    for (const watcher of [...this.watchers]) watcher.end();
    this.notify();
  }

  /** Resolves once the cache has been listed (tests and benches wait for it; requests never do). */
  async primedOnce(): Promise<void> {
    while (!this.primed && !this.stopping.signal.aborted) await new Promise<void>((r) => this.waiters.add(r));
  }

  /**
   * The object under `key` as the cache holds it now, as an informer's lister reads it (upstream's admission
   * plugins do): shared and read-only. Undefined when the cache has no such object or is not listed yet; the caller
   * then reads the store, as upstream's getters fall back to a live lookup.
   */
  current(key: string): KeyValue | undefined {
    return this.primed ? this.index.get(key) : undefined;
  }

  /** Every cached object, or one namespace's, in key order; undefined while the cache is not listed. */
  currentList(namespace: string | undefined): KeyValue[] | undefined {
    if (!this.primed) return undefined;
    return this.index.list(this.def.namespaced ? namespace : undefined);
  }

  get watcherCount(): number {
    return this.watchers.size;
  }

  // ---- the loop that keeps the cache ----------------------------------------------------------------------

  private async run(): Promise<void> {
    const signal = this.stopping.signal;
    let failures = 0;
    while (!signal.aborted) {
      try {
        const page = await this.store.list(this.base);
        this.reset(page.items, page.revision);
        failures = 0;
        const events = this.store.watch(this.base, page.revision, signal)[Symbol.asyncIterator]();
        while (true) {
          this.idle = true;
          const next = await events.next();
          this.idle = false;
          if (next.done) break;
          this.apply(next.value);
        }
      } catch (err) {
        if (signal.aborted || err instanceof StoreClosedError) return;
        // a compacted or broken watch: relist, as upstream's reflector does; watchers end and come back
        this.options.log(`watch cache of ${this.def.plural}: relisting`, err);
      }
      this.idle = false;
      this.primed = false;
      for (const watcher of [...this.watchers]) watcher.end();
      failures++;
      await sleep(Math.min(50 * 2 ** failures, 5000), signal);
    }
  }

  private reset(items: KeyValue[], revision: Revision): void {
    for (const watcher of [...this.watchers]) watcher.end();
    this.index = new CacheIndex(this.base, this.def.namespaced);
    for (const kv of items) this.index.set(kv);
    this.window.clear();
    this.revision = this.startRevision = revision;
    this.primed = true;
    this.notify();
  }

  private apply(item: WatchEvent | WatchProgress): void {
    if (item.type === "progress") {
      this.progressSeen++;
      if (item.revision > this.revision) {
        this.revision = item.revision;
        // not sent: it moves what the streams' periodic bookmarks carry (etcd's progress notify)
        const mark: RegistryWatchEvent = { type: "BOOKMARK", revision: item.revision, startMarker: true };
        for (const watcher of this.watchers) watcher.push(mark);
      }
      this.notify();
      return;
    }
    if (item.type === "put") this.index.set(item.kv);
    else this.index.delete(item.kv.key);
    const event = new CachedEvent(item);
    this.window.push(event);
    this.revision = Math.max(this.revision, event.revision);
    for (const watcher of this.watchers) watcher.offer(event);
    this.notify();
  }

  private notify(): void {
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const wake of waiters) wake();
  }

  /**
   * Waits until every event of the resource at or below `target` (at most the store's current revision) is in
   * the cache; false when that cannot be shown in time, and the store must answer.
   */
  async freshTo(target: Revision): Promise<boolean> {
    const deadline = performance.now() + this.freshnessTimeoutMs;
    if (this.store.reportsProgress) {
      // etcd: ask for a progress notification; its answer (or an event) at or past the target proves it
      const asked = this.progressSeen;
      this.store.requestProgress?.(this.base);
      while (this.primed && this.revision < target && this.progressSeen === asked) {
        if (!(await this.changed(deadline))) break;
      }
      return this.primed && this.revision >= target;
    }
    // In-process stores publish a commit's events to watches in the step that advances the revision, and they
    // reach this loop through promise callbacks only: idle after one macrotask turn, it holds every event up to
    // the store's revision read before.
    while (this.primed && performance.now() < deadline) {
      if (this.revision >= target) return true;
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.primed && this.idle && this.revision < target) this.revision = target;
    }
    return this.primed && this.revision >= target;
  }

  /** Resolves true at the cache's next change, false at the deadline. */
  private changed(deadline: number): Promise<boolean> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(
        () => {
          this.waiters.delete(wake);
          resolve(false);
        },
        Math.max(0, deadline - performance.now()),
      );
      this.waiters.add(wake);
    });
  }

  // ---- lists ----------------------------------------------------------------------------------------------

  /**
   * A list from the cache, or undefined when the store must answer it (upstream 1.32's delegation: continue
   * tokens, a limit with any resourceVersion but "0", resourceVersionMatch=Exact, a cache that cannot catch up).
   */
  async list(namespace: string | undefined, request: ListRequest): Promise<ListPage | undefined> {
    if (!this.primed || request.continue) return undefined;
    const rv = request.resourceVersion ?? "";
    if (request.limit && request.limit > 0 && rv !== "0") return undefined;
    if (request.resourceVersionMatch && (request.resourceVersionMatch !== "NotOlderThan" || rv === "")) {
      return undefined;
    }
    if (rv === "") {
      if (!(await this.freshTo(await this.store.currentRevision()))) return undefined;
    } else if (rv !== "0" && !(await this.caughtUpTo(parseResourceVersion(rv)))) return undefined;
    if (!this.primed) return undefined;
    const selective = !selectsEverything(request.selection);
    const watcher = new CacheWatcher(
      { def: this.def, prefix: listPrefix(this.def, namespace), selection: request.selection },
      0,
    );
    const listed = this.index.list(this.def.namespaced ? namespace : undefined);
    const items = selective ? listed.filter((kv) => watcher.wants(kv)) : listed;
    const page: ListPage = { items, bytes: items.map(bytesOf), revision: this.revision };
    if (selective) page.objects = items.map(objectOf);
    return page;
  }

  /** For an explicit resourceVersion: the cache is at or past it (waiting if the store is); false otherwise. */
  private async caughtUpTo(wanted: Revision): Promise<boolean> {
    if (this.revision >= wanted) return true;
    // beyond the store's own revision: the store answers "Too large resource version"
    if (wanted > (await this.store.currentRevision())) return false;
    return this.freshTo(wanted);
  }

  // ---- watches --------------------------------------------------------------------------------------------

  /** A watch from the cache, or undefined when the store must serve it (the cache never saw that revision). */
  async watch(
    namespace: string | undefined,
    request: WatchRequest,
  ): Promise<AsyncIterable<RegistryWatchEvent> | undefined> {
    if (!this.primed) return undefined;
    const rv = request.resourceVersion ?? "";
    const filter = { def: this.def, prefix: listPrefix(this.def, namespace), selection: request.selection };
    const watcher = () => new CacheWatcher(filter, this.watcherBufferLimit);
    if (rv === "" || rv === "0" || request.sendInitialEvents) {
      // The current state first, as ADDED events, at one revision; then everything after it.
      if (rv === "") {
        if (!(await this.freshTo(await this.store.currentRevision()))) return undefined;
      } else if (rv !== "0" && !(await this.caughtUpTo(parseResourceVersion(rv)))) return undefined;
      if (!this.primed) return undefined;
      const w = watcher();
      for (const kv of this.index.list(this.def.namespaced ? namespace : undefined)) {
        if (w.wants(kv)) w.preload({ type: "ADDED", value: kv.value, revision: kv.modRevision });
      }
      if (request.sendInitialEvents) w.preload({ type: "BOOKMARK", revision: this.revision, initialEventsEnd: true });
      return this.live(w, this.revision, request.signal); // no await since the snapshot: no event falls in between
    }
    const from = parseResourceVersion(rv);
    const compacted = this.store.compactedRevision?.();
    if (compacted !== undefined && from < compacted) return refused(tooOldResourceVersion(from, compacted + 1));
    if (from > this.revision && !(await this.caughtUpTo(from))) return undefined;
    if (!this.primed) return undefined;
    const oldest = this.window.oldest();
    const floor = this.window.evicted && oldest !== undefined ? oldest - 1 : this.startRevision;
    if (from < floor) {
      // pushed out of the window: upstream's 410; never seen (before this cache's list): the store may still have it
      return this.window.evicted ? refused(tooOldResourceVersion(from, floor)) : undefined;
    }
    const w = watcher();
    for (const event of this.window.since(from)) {
      const sent = w.sentFor(event);
      if (sent) w.preload(sent);
    }
    return this.live(w, from, request.signal);
  }

  /** The watcher goes live: told where it starts, fed every event from now on, ended with its request. */
  private live(watcher: CacheWatcher, from: Revision, signal: AbortSignal): CacheWatcher {
    watcher.preload({ type: "BOOKMARK", revision: from, startMarker: true });
    this.watchers.add(watcher);
    const end = () => watcher.end();
    signal.addEventListener("abort", end, { once: true });
    watcher.whenEnded(() => {
      this.watchers.delete(watcher);
      signal.removeEventListener("abort", end);
    });
    if (signal.aborted) watcher.end();
    return watcher;
  }
}

async function* refused(err: ReturnType<typeof tooOldResourceVersion>): AsyncGenerator<RegistryWatchEvent> {
  yield { type: "ERROR", status: err.toStatus() };
}
