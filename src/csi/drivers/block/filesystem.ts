// Filesystems on a volume's device: detect (blkid), make once (mkfs), grow (resize2fs / xfs_growfs).
// The one rule that protects users' data: a device that already carries any signature is never formatted.
import { readFile } from "node:fs/promises";
import { CommandError, haveCommand, run } from "./exec.js";

/** The filesystems this driver knows how to make and grow, first one the default (as `csi.storage.k8s.io/fstype`). */
export const knownFsTypes = ["ext4", "ext3", "ext2", "xfs"] as const;
export type FsType = (typeof knownFsTypes)[number];
export const defaultFsType: FsType = "ext4";

export function isKnownFsType(value: string): value is FsType {
  return (knownFsTypes as readonly string[]).includes(value);
}

/** The known filesystems whose mkfs is installed on this machine (xfs needs xfsprogs, which may be missing). */
export async function availableFsTypes(): Promise<FsType[]> {
  const found: FsType[] = [];
  for (const fsType of knownFsTypes) if (await haveCommand(`mkfs.${fsType}`)) found.push(fsType);
  return found;
}

/**
 * The signature on `device` ("ext4", "xfs", "swap", "LVM2_member", …) or undefined when blkid finds none.
 * Low-level probing (-p) reads the device itself, not blkid's cache, so a filesystem made a moment ago counts.
 */
export async function detectFilesystem(device: string): Promise<string | undefined> {
  try {
    const { stdout } = await run("blkid", ["-p", "-o", "export", device]);
    const fields = new Map(
      stdout
        .split("\n")
        .map((line) => line.split("=", 2) as [string, string | undefined])
        .filter(([, value]) => value !== undefined)
        .map(([key, value]) => [key, value ?? ""]),
    );
    // A partition table has PTTYPE and no TYPE: still "something there", never format over it.
    return fields.get("TYPE") ?? fields.get("PTTYPE") ?? "unknown";
  } catch (err) {
    // blkid exits 2 when it finds no signature at all: an empty device, ours to format.
    if (err instanceof CommandError && err.exitCode === 2) return undefined;
    throw err;
  }
}

/** Makes a filesystem on an empty device. Callers check detectFilesystem first; mkfs must never see a used device. */
export async function makeFilesystem(device: string, fsType: FsType): Promise<void> {
  switch (fsType) {
    case "ext4":
    case "ext3":
    case "ext2":
      // -F: mkfs asks for confirmation on a whole device (not a partition); we already checked it is empty.
      // No reserved blocks for root (-m 0): the whole disk is the user's, as with a cloud disk's data volume.
      await run(`mkfs.${fsType}`, ["-F", "-q", "-m", "0", device]);
      return;
    case "xfs":
      await run("mkfs.xfs", ["-q", device]);
      return;
  }
}

/** Grows the filesystem on `device`, mounted at `mountPoint`, to fill the device. A no-op when it already does. */
export async function growFilesystem(device: string, fsType: string, mountPoint: string): Promise<void> {
  if (fsType === "xfs") {
    await run("xfs_growfs", [mountPoint]);
    return;
  }
  await run("resize2fs", [device]);
}

/** Offline check and grow of an unmounted ext2/3/4 filesystem (resize2fs insists on a fresh fsck first). */
export async function growUnmountedExtFilesystem(device: string): Promise<void> {
  try {
    await run("e2fsck", ["-f", "-p", device]);
  } catch (err) {
    // Exit 1: "errors corrected", which is fine to grow; anything higher means the filesystem needs a human.
    if (!(err instanceof CommandError && err.exitCode === 1)) throw err;
  }
  await run("resize2fs", [device]);
}

// Linux capability numbers (include/uapi/linux/capability.h).
const CAP_SYS_ADMIN = 21;
const CAP_SYS_RESOURCE = 24;

async function effectiveCapabilities(): Promise<bigint> {
  const status = await readFile("/proc/self/status", "utf8");
  const match = /^CapEff:\s*([0-9a-f]+)$/m.exec(status);
  return match ? BigInt(`0x${match[1]}`) : 0n;
}

/** What this process may do with block devices: mounting needs CAP_SYS_ADMIN; ext4 online resize CAP_SYS_RESOURCE. */
export async function blockPrivileges(): Promise<{ canMount: boolean; canResizeExtOnline: boolean }> {
  const caps = await effectiveCapabilities();
  const has = (cap: number) => (caps & (1n << BigInt(cap))) !== 0n;
  return { canMount: has(CAP_SYS_ADMIN), canResizeExtOnline: has(CAP_SYS_RESOURCE) };
}
