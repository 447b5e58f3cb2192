// CSI expects a plugin to refuse, not queue, a second operation on a volume that is still busy: the caller
// gets ABORTED and retries with backoff (spec.md "Concurrency"). Keys are volume ids, snapshot ids and
// request names, so two CreateVolume calls with the same name cannot both create.
import { Code, CsiError } from "../../errors.js";

export class OperationLocks {
  private readonly busy = new Set<string>();

  /** Runs `fn` holding every key, or throws ABORTED naming the first busy key without waiting. */
  async run<T>(keys: string[], fn: () => Promise<T>): Promise<T> {
    const unique = [...new Set(keys.filter((k) => k !== ""))];
    const taken = unique.find((key) => this.busy.has(key));
    if (taken !== undefined) {
      throw new CsiError(Code.ABORTED, `an operation for ${taken} is already in progress`);
    }
    for (const key of unique) this.busy.add(key);
    try {
      return await fn();
    } finally {
      for (const key of unique) this.busy.delete(key);
    }
  }
}
