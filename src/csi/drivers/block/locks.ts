// One operation per volume (or snapshot, or name) at a time. A second call while one is running gets ABORTED,
// as the spec asks ("operation pending for volume"): the CO retries it, and by then the first has finished,
// so the retry sees a settled state instead of racing half-made loop devices, mounts or files.
import { Code, CsiError } from "../../errors.js";

export class KeyLocks {
  private readonly busy = new Set<string>();

  /** Runs fn holding every key (all or none); ABORTED naming the busy key if any is held. */
  async with<T>(keys: string[], fn: () => Promise<T>): Promise<T> {
    const unique = [...new Set(keys.filter(Boolean))];
    const taken = unique.find((key) => this.busy.has(key));
    if (taken) throw new CsiError(Code.ABORTED, `an operation on ${taken} is already in progress; retry later`);
    for (const key of unique) this.busy.add(key);
    try {
      return await fn();
    } finally {
      for (const key of unique) this.busy.delete(key);
    }
  }
}
