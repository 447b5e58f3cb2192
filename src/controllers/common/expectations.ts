// upstream's UIDTrackingControllerExpectations (pkg/controller/controller_utils.go): after a sync creates or deletes
// pods, the next sync waits until the informer has seen them, or it would count a stale cache and create twice.
// Expectations expire after five minutes (upstream's ExpectationsTimeout), so a lost event cannot wedge a set.

const timeoutMs = 5 * 60_000;

interface Expected {
  adds: number;
  deletes: Set<string>;
  at: number;
}

export class Expectations {
  private readonly byKey = new Map<string, Expected>();
  constructor(private readonly now: () => number = Date.now) {}

  /** True when the cache has caught up with this key's last writes (or they are too old to wait for). */
  satisfied(key: string): boolean {
    const expected = this.byKey.get(key);
    if (!expected) return true;
    if ((expected.adds <= 0 && expected.deletes.size === 0) || this.now() - expected.at > timeoutMs) {
      this.byKey.delete(key);
      return true;
    }
    return false;
  }

  expectCreations(key: string, adds: number): void {
    this.byKey.set(key, { adds, deletes: new Set(), at: this.now() });
  }

  expectDeletions(key: string, uids: string[]): void {
    this.byKey.set(key, { adds: 0, deletes: new Set(uids), at: this.now() });
  }

  /** A pod of this key appeared (or a create failed and never will). */
  creationObserved(key: string): void {
    const expected = this.byKey.get(key);
    if (expected) expected.adds--;
  }

  /** A pod of this key is going (or a delete failed): each uid counts once. */
  deletionObserved(key: string, uid: string): void {
    this.byKey.get(key)?.deletes.delete(uid);
  }

  forget(key: string): void {
    this.byKey.delete(key);
  }
}
