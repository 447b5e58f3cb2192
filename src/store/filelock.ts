// One owner per store file. SQLite's own EXCLUSIVE locking mode would forbid the second connection the writer
// thread needs, so ownership is flock(2) on a lock file beside the database, held on an open descriptor for the
// store's life: the kernel releases it when the process dies, however it dies, so a restart after a crash always
// finds it free, and two owners are impossible. The file itself is never removed (removing it would let two
// processes lock two different files of the same name); the holder's pid in it is only for the message.
import { closeSync, ftruncateSync, openSync, readFileSync, writeSync } from "node:fs";
import { tryLockExclusive, unlock } from "../support/flock.js";

/** Another process (or another store in this one) holds the database file. */
export class StoreInUseError extends Error {
  constructor(
    readonly file: string,
    readonly pid: number,
  ) {
    super(
      `store ${file} is in use by another stowage process${pid > 0 ? ` (pid ${pid})` : ""}; stop it first, ` +
        `or use another data dir`,
    );
  }
}

export interface FileLock {
  release(): void;
}

export function acquireLock(lockFile: string, storeFile: string): FileLock {
  const fd = openSync(lockFile, "a+", 0o600); // created if missing; O_CLOEXEC: children never inherit it
  let locked: boolean;
  try {
    locked = tryLockExclusive(fd);
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  if (!locked) {
    closeSync(fd);
    throw new StoreInUseError(storeFile, Number.parseInt(readFileSync(lockFile, "utf8"), 10) || 0);
  }
  ftruncateSync(fd, 0);
  writeSync(fd, `${process.pid}\n`, 0);
  let held = true;
  return {
    release() {
      if (!held) return;
      held = false;
      unlock(fd);
      closeSync(fd);
    },
  };
}
