// CSI expects a plugin to refuse, not queue, a second operation on a volume that is still busy: the caller gets
// ABORTED ("operation pending for volume") and retries with backoff (spec.md "Concurrency"). By then the first call
// has finished, so the retry sees a settled state instead of racing half-made directories, loop devices or mounts.
// Keys are volume ids, snapshot ids and request names, so two CreateVolume calls with one name cannot both create.
import { Code, CsiError } from "../../errors.js";

export class OperationLocks {
  private readonly busy = new Set<string>();

  /** Runs `fn` holding every key (all or none), or throws ABORTED naming the first busy key without waiting. */
  async run<T>(keys: string[], fn: () => Promise<T>): Promise<T> {
    const unique = [...new Set(keys.filter((key) => key !== ""))];
    const taken = unique.find((key) => this.busy.has(key));
    if (taken !== undefined) {
      throw new CsiError(Code.ABORTED, `an operation for ${taken} is already in progress; retry later`);
    }
    for (const key of unique) this.busy.add(key);
    try {
      return await fn();
    } finally {
      for (const key of unique) this.busy.delete(key);
    }
  }
}
