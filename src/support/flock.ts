// flock(2) through koffi: an advisory lock the kernel ties to an open file description, so it is released the
// moment its holder's process dies, however it dies — nothing to find stale, nothing to take over.
import { createRequire } from "node:module";

const LOCK_EX = 2;
const LOCK_NB = 4;
const LOCK_UN = 8;

interface Koffi {
  load(path: string): { func(definition: string): unknown };
  errno(): number;
  os: { errno: Record<string, number> };
}

type FlockFn = (fd: number, operation: number) => number;

let flockFn: { flock: FlockFn; wouldBlock: number; errno(): number } | undefined;

function load(): NonNullable<typeof flockFn> {
  if (!flockFn) {
    // koffi's native module loads synchronously; require keeps the lock synchronous for the store's open().
    const koffi = createRequire(import.meta.url)("koffi") as Koffi;
    const flock = koffi.load("libc.so.6").func("int flock(int fd, int operation)") as FlockFn;
    flockFn = { flock, wouldBlock: koffi.os.errno.EWOULDBLOCK ?? 11, errno: () => koffi.errno() };
  }
  return flockFn;
}

/**
 * Takes an exclusive lock on the open file `fd` without waiting: true when taken, false when another open file
 * description holds it (another process, or another open() of the same file in this one).
 */
export function tryLockExclusive(fd: number): boolean {
  const { flock, wouldBlock, errno } = load();
  if (flock(fd, LOCK_EX | LOCK_NB) === 0) return true;
  const code = errno();
  if (code === wouldBlock) return false;
  throw new Error(`flock: errno ${code}`);
}

/** Gives the lock back (closing the descriptor does too). */
export function unlock(fd: number): void {
  load().flock(fd, LOCK_UN);
}
