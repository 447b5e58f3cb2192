// One store event as the cache keeps it in its window and hands it to watchers: what each kind of watcher is
// sent (everything, or a selection that an object enters, changes in or leaves) is made once per event and the
// same object, with the same bytes, goes to every watcher that wants it.
import type { WatchEvent } from "../../store/store.js";
import type { KeyValue } from "../../store/store.js";
import type { ObjectEvent } from "../registry/watch.js";
import { eventLine } from "./encoded.js";

type Kind = ObjectEvent["type"];

export class CachedEvent {
  readonly revision: number;
  private readonly sent = new Map<string, ObjectEvent>();

  constructor(readonly event: WatchEvent) {
    this.revision = event.kv.modRevision;
  }

  get key(): string {
    return this.event.kv.key;
  }

  /** The value a selection is tested on now: the new one, or for a delete the last one. */
  get current(): KeyValue | undefined {
    return this.event.type === "put" ? this.event.kv : undefined;
  }

  /** The value before this event (for a delete: the deleted one). */
  get previous(): KeyValue | undefined {
    return this.event.type === "delete" ? (this.event.prev ?? this.event.kv) : this.event.prev;
  }

  /** What a watcher that sees everything is sent. */
  plain(): ObjectEvent {
    if (this.event.type === "delete") return this.make("DELETED", this.event.kv);
    return this.make(this.event.prev ? "MODIFIED" : "ADDED", this.event.kv);
  }

  /**
   * What a selective watcher is sent, given whether the object matched before and matches now (upstream's
   * cacheWatcher.convertToWatchEvent): entering is ADDED, leaving is DELETED with the last matching state.
   */
  selected(before: boolean, now: boolean): ObjectEvent | undefined {
    if (this.event.type === "delete") return before ? this.make("DELETED", this.event.kv) : undefined;
    if (now && before) return this.make("MODIFIED", this.event.kv);
    if (now) return this.make("ADDED", this.event.kv);
    if (before) return this.make("LEFT", { ...this.event.prev!, modRevision: this.revision });
    return undefined;
  }

  private make(kind: Kind | "LEFT", kv: KeyValue): ObjectEvent {
    let sent = this.sent.get(kind);
    if (!sent) {
      const type = kind === "LEFT" ? "DELETED" : kind;
      sent = { type, value: kv.value, revision: kv.modRevision, line: eventLine(type, kv) };
      this.sent.set(kind, sent);
    }
    return sent;
  }
}
