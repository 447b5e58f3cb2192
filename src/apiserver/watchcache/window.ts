// The sliding window of recent events (upstream's watchCache ring): a watch that resumes from a resourceVersion
// inside it is replayed from memory; one older than what the window still holds is 410 Gone, as upstream.
import type { Revision } from "../../store/store.js";

export class EventWindow<E extends { revision: Revision }> {
  private readonly ring: Array<E | undefined>;
  private start = 0;
  private size = 0;

  constructor(readonly capacity: number) {
    this.ring = new Array<E | undefined>(Math.max(1, capacity));
  }

  /** True once an event has been pushed out: resuming below the oldest kept one must then be refused. */
  evicted = false;

  push(event: E): void {
    const capacity = this.ring.length;
    if (this.size === capacity) {
      this.ring[this.start] = undefined;
      this.start = (this.start + 1) % capacity;
      this.size--;
      this.evicted = true;
    }
    this.ring[(this.start + this.size) % capacity] = event;
    this.size++;
  }

  /** The revision of the oldest event kept, if any. */
  oldest(): Revision | undefined {
    return this.size ? this.at(0).revision : undefined;
  }

  /** Every kept event after `revision` (exclusive), in order. */
  since(revision: Revision): E[] {
    let low = 0;
    let high = this.size;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.at(mid).revision <= revision) low = mid + 1;
      else high = mid;
    }
    const out: E[] = [];
    for (let i = low; i < this.size; i++) out.push(this.at(i));
    return out;
  }

  clear(): void {
    this.ring.fill(undefined);
    this.start = 0;
    this.size = 0;
    this.evicted = false;
  }

  private at(i: number): E {
    return this.ring[(this.start + i) % this.ring.length]!;
  }
}
