// One owner per store file. SQLite's own EXCLUSIVE locking mode would forbid the second connection the
// writer thread needs, so ownership is a lock file holding the owner's pid, taken over when that process is gone.

import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";

/** Another process (or another store in this one) holds the database file. */
export class StoreInUseError extends Error {
  constructor(
    readonly file: string,
    readonly pid: number,
  ) {
    super(`store ${file} is in use by another stowage process (pid ${pid}); stop it first`);
  }
}

export interface FileLock {
  release(): void;
}

export function acquireLock(lockFile: string, storeFile: string): FileLock {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockFile, "wx");
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      let held = true;
      return {
        release() {
          if (!held) return;
          held = false;
          try {
            unlinkSync(lockFile);
          } catch {
            // already gone: nothing to release
          }
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    const owner = Number.parseInt(readFileSync(lockFile, "utf8"), 10);
    if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) throw new StoreInUseError(storeFile, owner);
    unlinkSync(lockFile); // left by a process that died without closing: take over
  }
  throw new StoreInUseError(storeFile, 0);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM"; // exists, owned by someone else
  }
}
