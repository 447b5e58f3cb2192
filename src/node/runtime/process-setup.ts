// How runtime "process" starts a container: `unshare --mount --propagation private` gives it its own mount
// namespace, and a small POSIX shell step inside that namespace builds its filesystem, then execs its command.
//
// The filesystem is an overlay whose lower layer is the host's root and whose upper layer is the container's own
// directory (pods/<uid>/containers/<name>/upper): the container sees the node's programs and libraries but its
// writes stay its own and go with it. Linux accepts an overlay over "/" (the upper dir may even live on the root
// filesystem); where a kernel refuses it (no overlayfs, or an upper dir on a filesystem overlay cannot use), the
// step falls back to a plain bind of "/" — writes then reach the host's root, so the start reports which one it got.
// The pod's volumes are bound at their mountPaths (read-only ones remounted ro) — block volumes' devices at their
// devicePaths —, /proc is mounted fresh, /sys is bound from the host, /dev is a tmpfs of its own with the usual
// devices (and the host's /dev/pts), and pivot_root switches to the new root and detaches the old one: the container
// keeps no reference to other pods' mounts, so their volumes can be unmounted and detached while it runs.
//
// The step reports on fd 3: error text if a step fails, or "started <overlay|bind>" just before the exec. Mount
// paths are resolved by `chroot <root> realpath`, so a symlink in the image (/var/run → /run) is followed inside
// the container's root, never out to the host's.

import type { ContainerUser } from "./runtime.js";

export interface ContainerMount {
  /** The volume's (or subPath's) path on the host. */
  hostPath: string;
  /** Where the container sees it. */
  containerPath: string;
  readOnly: boolean;
}

export interface ContainerLaunch {
  /** The mount point of the container's root, and the overlay's upper and work dirs. */
  rootfs: string;
  upper: string;
  work: string;
  workingDir: string;
  mounts: ContainerMount[];
  /** The container's whole environment (nothing of the agent's leaks in). */
  env: Record<string, string>;
  /** command + args, resolved with the container's PATH. */
  argv: string[];
  /** securityContext runAsUser/runAsGroup/supplementalGroups; absent: root, as the image would default to. */
  user?: ContainerUser;
  /** The pod's hostname (spec.hostname, else its name), in the container's own UTS namespace. */
  hostname: string;
  /** Where the node keeps the template of a container's /dev (made on first use). */
  deviceTemplate: string;
  /** The container's terminationMessagePath and the host file behind it (read into the exit's message). */
  terminationMessage?: { hostPath: string; containerPath: string };
}

export const startedMarker = "started ";

const script = String.raw`
set -eu
exec 4>&2 2>&3
root=$1 upper=$2 work=$3 wd=$4 cpath=$5 cmd=$6 tpl=$7 ids=$8 host=$9
shift 9
n=$1
shift
# Its own UTS namespace: the pod's hostname, as a pod's containers have.
hostname "$host"
envbin=/usr/bin/env
[ -x "$envbin" ] || envbin=$(command -v env)
mkdir -p "$root" "$upper" "$work"
if mount -t overlay overlay -o "lowerdir=/,upperdir=$upper,workdir=$work" "$root" 2>/dev/null; then
  fs=overlay
else
  mount --bind / "$root"
  fs=bind
fi
mount -t proc proc "$root/proc"
mount --rbind /sys "$root/sys"
# A /dev of its own (a tmpfs with the usual devices, as container runtimes give): writes there stay the
# container's. The devices are copied from a template made once per node (renamed into place whole).
if [ ! -e "$tpl/ptmx" ]; then
  t=$tpl.$$
  mkdir -p "$t/pts" "$t/shm"
  mknod -m 666 "$t/null" c 1 3
  mknod -m 666 "$t/zero" c 1 5
  mknod -m 666 "$t/full" c 1 7
  mknod -m 666 "$t/random" c 1 8
  mknod -m 666 "$t/urandom" c 1 9
  mknod -m 666 "$t/tty" c 5 0
  ln -s /proc/self/fd "$t/fd"
  ln -s /proc/self/fd/0 "$t/stdin"
  ln -s /proc/self/fd/1 "$t/stdout"
  ln -s /proc/self/fd/2 "$t/stderr"
  mknod -m 666 "$t/ptmx" c 5 2
  mv -T "$t" "$tpl" 2> /dev/null || rm -rf "$t"
fi
mount -t tmpfs -o nosuid,mode=755,size=65536k tmpfs "$root/dev"
cp -a "$tpl/." "$root/dev/"
mount --bind /dev/pts "$root/dev/pts"
mount -t tmpfs -o nosuid,nodev,mode=1777,size=65536k shm "$root/dev/shm"
while [ "$n" -gt 0 ]; do
  src=$1 dst=$2 ro=$3
  shift 3
  n=$((n - 1))
  if [ -d "$src" ]; then
    chroot "$root" mkdir -p "$dst"
  else
    chroot "$root" sh -c 'mkdir -p "$(dirname "$1")" && { [ -e "$1" ] || : > "$1"; }' sh "$dst"
  fi
  target=$root$(chroot "$root" realpath "$dst")
  mount --bind "$src" "$target"
  if [ "$ro" = ro ]; then mount -o remount,bind,ro "$target"; fi
done
cd "$root"
pivot_root . .
umount -l .
cd /
mkdir -p "$wd"
cd "$wd"
found() {
  case $cmd in */*) [ -f "$cmd" ] && [ -x "$cmd" ]; return ;; esac
  saved=$IFS
  IFS=:
  for dir in $cpath; do
    if [ -f "$dir/$cmd" ] && [ -x "$dir/$cmd" ]; then IFS=$saved; return 0; fi
  done
  IFS=$saved
  return 1
}
if ! found; then
  echo "exec: \"$cmd\": executable file not found in \$PATH" >&2
  exit 128
fi
echo "${startedMarker}$fs" >&3
exec 2>&4 4>&- 3>&-
if [ "$ids" = - ]; then exec "$envbin" -i "$@"; fi
# runAsUser/runAsGroup/supplementalGroups: "uid:gid:g1,g2" (an empty group list clears the groups).
uid=$(echo "$ids" | cut -d: -f1) gid=$(echo "$ids" | cut -d: -f2) groups=$(echo "$ids" | cut -d: -f3)
if [ -n "$groups" ]; then set -- "--groups=$groups" "$envbin" -i "$@"; else set -- --clear-groups "$envbin" -i "$@"; fi
exec setpriv "--reuid=$uid" "--regid=$gid" "$@"
`;

/** PATH when the container sets none (the one container images conventionally carry). */
export const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** The program and arguments that start the container (its process becomes the container's main process). */
export function launchArgv(launch: ContainerLaunch): { file: string; args: string[] } {
  const env = Object.entries(launch.env).map(([name, value]) => `${name}=${value}`);
  const mounts = launch.mounts.flatMap((m) => [m.hostPath, m.containerPath, m.readOnly ? "ro" : "rw"]);
  return {
    file: "unshare",
    args: [
      "--mount",
      "--uts",
      "--propagation",
      "private",
      "--",
      "/bin/sh",
      "-c",
      script,
      "stowage-container-setup",
      launch.rootfs,
      launch.upper,
      launch.work,
      launch.workingDir,
      launch.env.PATH ?? defaultPath,
      launch.argv[0],
      launch.deviceTemplate,
      launch.user ? `${launch.user.uid}:${launch.user.gid}:${launch.user.groups.join(",")}` : "-",
      launch.hostname,
      String(launch.mounts.length),
      ...mounts,
      // env -i NAME=VALUE… COMMAND ARGS…: (a command whose name holds "=" would be read as a variable)
      ...env,
      ...launch.argv,
    ],
  };
}
