// mount(2), umount2(2), mount_setattr(2) and statx(2) called directly through koffi (an FFI library that ships
// prebuilt binaries), for the mounts that need no helper program: bind mounts and tmpfs. Spawning
// /bin/mount forks the whole node process (its page tables grow with its heap) and libmount then reads and parses
// /proc/self/mountinfo, whose size grows with every mount on the node; one syscall does neither.
// Loaded lazily and optionally: where koffi or a symbol is missing, callers fall back to the mount binaries
// (STOWAGE_MOUNT_SYSCALLS=0 forces that, to compare the two: bench/node.ts, mount.test.ts).
import { createRequire } from "node:module";
import { endianness } from "node:os";

/** A failed system call, with the errno name callers branch on (EBUSY, EINVAL, …). */
export class SyscallError extends Error {
  override name = "SyscallError";
  constructor(
    readonly syscall: string,
    readonly code: string,
    readonly errno: number,
    description: string,
  ) {
    super(`${syscall}: ${description} (${code})`);
  }
}

// <linux/mount.h>, <fcntl.h>, <linux/stat.h>: identical on every Linux architecture.
export const MS_BIND = 0x1000;
/** umount2: do not follow a symlink at the last component (so an unmount cannot be aimed elsewhere). */
export const UMOUNT_NOFOLLOW = 0x8;
const MOUNT_ATTR_RDONLY = 0x1;
const AT_FDCWD = -100;
const AT_SYMLINK_NOFOLLOW = 0x100;
const AT_NO_AUTOMOUNT = 0x800;
// Answer from what the kernel has cached rather than ask an NFS server (which may be unreachable).
const AT_STATX_DONT_SYNC = 0x4000;
const STATX_ATTR_MOUNT_ROOT = 0x2000;
const STATX_SIZE = 256;
const STX_ATTRIBUTES = 8; // offsetof(struct statx, stx_attributes)
const STX_ATTRIBUTES_MASK = 56; // offsetof(struct statx, stx_attributes_mask)

/**
 * Every call runs on koffi's worker threads, never on the event loop: a mount point of an unreachable NFS server
 * can make even a stat block in the kernel, and that must stall one thread, not the whole agent (as a spawned
 * umount stalled only itself). The …Now calls are the exception, for paths that are descriptors the caller has just
 * opened on its own thread (openpath.ts): the kernel walks nothing there that could wait on a network, and a
 * worker-thread round trip costs far more than the call (measured: statx 1 µs on the thread, 18–35 µs through it).
 */
export interface MountSyscalls {
  /** mount(2); `data` is the filesystem's option string (tmpfs: "mode=0777,size=…"). */
  mount(source: string, target: string, fsType: string | null, flags: number, data: string | null): Promise<void>;
  /**
   * A bind mount (MS_BIND) on the calling thread, of descriptor paths (`/proc/<pid>/fd/N`) only: a bind copies a
   * mount the kernel already holds and touches no filesystem, so it never waits on a disk or a server.
   */
  bindNow(source: string, target: string): void;
  /**
   * Makes the mount at `target` read-only and changes nothing else (nosuid, nodev, noexec, atime flags stay as
   * they are), as `mount -o remount,bind,ro` does: util-linux re-applies the flags it reads from mountinfo.
   * Missing before glibc 2.36 (mount_setattr). `noFollow`: a symlink at the last component is not followed.
   */
  setReadOnly?(target: string, noFollow?: boolean): Promise<void>;
  /** umount2(2) with `flags` (UMOUNT_NOFOLLOW), none by default. */
  umount(target: string, flags?: number): Promise<void>;
  /**
   * Whether `path` itself (not following a final symlink) is the root of a mount: statx's STATX_ATTR_MOUNT_ROOT.
   * false when it does not exist; undefined when the kernel cannot tell (before Linux 5.8) or the path cannot be
   * looked at, so the caller asks /proc/self/mountinfo instead.
   */
  isMountRoot(path: string): Promise<boolean | undefined>;
  /** isMountRoot on the calling thread, for a path whose parents the caller has just opened (see the top). */
  isMountRootNow(path: string): boolean | undefined;
}

/** A koffi function: called directly, or on a worker thread with a callback (errno is carried back with it). */
interface Native<Args extends unknown[]> {
  (...args: Args): number;
  async(...args: [...Args, (err: unknown, result: number) => void]): void;
}

// koffi's functions are untyped; these are the exact C signatures we declare, so the casts below are checked once.
type MountFn = Native<[string | null, string, string | null, number, string | null]>;
type Umount2Fn = Native<[string, number]>;
type MountSetattrFn = Native<[number, string, number, Buffer, number]>;
type StatxFn = Native<[number, string, number, number, Buffer]>;
type StrerrorFn = (errnum: number) => string;

interface Koffi {
  load(path: string): { func(definition: string): unknown };
  errno(): number;
  os: { errno: Record<string, number> };
}

/**
 * koffi refuses ("Too many asynchronous calls are running") past 256 calls in flight, and a reconciler can start
 * hundreds of mounts at once: the calls beyond this many wait their turn here instead of failing. Past its 8
 * resident pools koffi maps (and unmaps) a fresh stack and heap for each call, which cost two mmap and two munmap
 * calls per umount under 16 concurrent unpublishes; libuv runs 4 calls at a time (UV_THREADPOOL_SIZE), so 8 in
 * flight keep every thread busy and the rest wait here, free.
 */
class Limit {
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly max: number) {}
  async acquire(): Promise<void> {
    if (this.inFlight < this.max) {
      this.inFlight++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve)); // the releaser hands its slot over
  }
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.inFlight--;
  }
}
const limit = new Limit(8);

let loaded: MountSyscalls | null | undefined;

/** The syscalls, or undefined when they cannot be called here (no koffi for this platform, not glibc, …). */
export function mountSyscalls(): MountSyscalls | undefined {
  if (loaded === undefined) {
    try {
      loaded = load();
    } catch {
      loaded = null;
    }
  }
  return loaded ?? undefined;
}

function load(): MountSyscalls | null {
  if (process.platform !== "linux" || process.env.STOWAGE_MOUNT_SYSCALLS === "0") return null;
  // koffi's native module loads synchronously; require keeps this function synchronous for its callers.
  const koffi = createRequire(import.meta.url)("koffi") as Koffi;
  const libc = koffi.load("libc.so.6");
  const mount = libc.func(
    "int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)",
  ) as MountFn;
  const umount2 = libc.func("int umount2(const char *target, int flags)") as Umount2Fn;
  const statx = libc.func(
    "int statx(int dirfd, const char *path, int flags, unsigned int mask, void *buffer)",
  ) as StatxFn;
  const strerror = libc.func("const char *strerror(int errnum)") as StrerrorFn;
  // glibc 2.36 and later; without it read-only bind mounts take the mount binary's remount.
  let mountSetattr: MountSetattrFn | undefined;
  try {
    mountSetattr = libc.func(
      "int mount_setattr(int dirfd, const char *path, unsigned int flags, void *attr, size_t size)",
    ) as MountSetattrFn;
  } catch {
    mountSetattr = undefined;
  }
  const names = new Map(Object.entries(koffi.os.errno).map(([name, value]) => [value, name]));
  const { ENOENT, ENOTDIR } = koffi.os.errno;
  /** Calls `fn` on a worker thread; resolves to errno (0 when it returned 0). */
  const call = async <Args extends unknown[]>(fn: Native<Args>, ...args: Args): Promise<number> => {
    await limit.acquire();
    try {
      return await new Promise<number>((resolve, reject) => {
        try {
          fn.async(...args, (err, result) => {
            if (err) reject(err instanceof Error ? err : new Error(String(err)));
            else resolve(result === 0 ? 0 : koffi.errno() || -1); // -1: failed without an errno (never seen)
          });
        } catch (err) {
          reject(err as Error);
        }
      });
    } finally {
      limit.release();
    }
  };
  const check = (syscall: string, errno: number): void => {
    if (errno !== 0) throw new SyscallError(syscall, names.get(errno) ?? `errno ${errno}`, errno, strerror(errno));
  };
  // The kernel's structs are in the machine's byte order.
  const little = endianness() === "LE";
  const readU64 = (buffer: Buffer, offset: number) =>
    little ? buffer.readBigUInt64LE(offset) : buffer.readBigUInt64BE(offset);
  // struct mount_attr { u64 attr_set, attr_clr, propagation, userns_fd }: set MOUNT_ATTR_RDONLY, clear nothing.
  const readOnlyAttr = Buffer.alloc(32);
  if (little) readOnlyAttr.writeBigUInt64LE(BigInt(MOUNT_ATTR_RDONLY), 0);
  else readOnlyAttr.writeBigUInt64BE(BigInt(MOUNT_ATTR_RDONLY), 0);
  const statxFlags = AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_STATX_DONT_SYNC;
  const mountRoot = BigInt(STATX_ATTR_MOUNT_ROOT);
  /** statx's answer (errno 0) → whether it is a mount root; a missing path is not, an error cannot tell. */
  const mountRootOf = (errno: number, buffer: Buffer): boolean | undefined => {
    if (errno === ENOENT || errno === ENOTDIR) return false;
    if (errno !== 0) return undefined;
    if ((readU64(buffer, STX_ATTRIBUTES_MASK) & mountRoot) === 0n) return undefined;
    return (readU64(buffer, STX_ATTRIBUTES) & mountRoot) !== 0n;
  };
  // Synchronous calls run one at a time on the main thread: one buffer serves them all.
  const nowBuffer = Buffer.alloc(STATX_SIZE);

  return {
    async mount(source, target, fsType, flags, data) {
      check("mount", await call(mount, source, target, fsType, flags, data));
    },
    bindNow(source, target) {
      if (!source.startsWith("/proc/") || !target.startsWith("/proc/"))
        throw new Error(`bindNow takes descriptor paths, not ${source} and ${target}`);
      // errno read right after the call, before anything else can run on this thread.
      check("mount", mount(source, target, null, MS_BIND, null) === 0 ? 0 : koffi.errno() || -1);
    },
    setReadOnly: mountSetattr
      ? async (target, noFollow) => {
          const flags = noFollow ? AT_SYMLINK_NOFOLLOW : 0;
          check("mount_setattr", await call(mountSetattr, AT_FDCWD, target, flags, readOnlyAttr, readOnlyAttr.length));
        }
      : undefined,
    async umount(target, flags = 0) {
      check("umount2", await call(umount2, target, flags));
    },
    async isMountRoot(path) {
      const buffer = Buffer.alloc(STATX_SIZE);
      return mountRootOf(await call(statx, AT_FDCWD, path, statxFlags, 0, buffer), buffer);
    },
    isMountRootNow(path) {
      // The thread's errno is read right after the call, before anything else can run on it.
      const failed = statx(AT_FDCWD, path, statxFlags, 0, nowBuffer) !== 0;
      return mountRootOf(failed ? koffi.errno() || -1 : 0, nowBuffer);
    },
  };
}
