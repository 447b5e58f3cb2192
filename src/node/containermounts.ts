// What the runtime mounts into each container (kubelet_pods.go makeMounts): every volumeMount becomes a host path —
// the volume's, or its subPath resolved (and created) inside it — and every volumeDevice a block volume's published
// device. Read from the actual state: only what the reconciler has set up is ever handed to a container.
import type { Pod, VolumeMount } from "../api/core/types.js";
import type { EventRecorder } from "../client/index.js";
import type { ContainerMount } from "./runtime/process-setup.js";
import type { NodePaths } from "./paths.js";
import { bindSubPath, prepareSubPath, SubPathError, subPathOf } from "./subpath.js";
import type { ActualState } from "./volumemanager/actual.js";
import { volumeKey, type DesiredVolume } from "./volumemanager/desired.js";

// pkg/kubelet/events FailedToCreateContainer and kuberuntime's ErrCreateContainerConfig.
const eventFailedToCreateContainer = "Failed";
const createContainerConfigError = "CreateContainerConfigError";

/** Why a container cannot start yet (its waiting reason and message), by container name. */
export type ContainerErrors = Record<string, { reason: string; message: string }>;

export interface ContainerMounts {
  errors: ContainerErrors;
  /** By container name (init containers included). */
  mounts: Map<string, ContainerMount[]>;
}

export interface ContainerMountsContext {
  actual: ActualState;
  paths: NodePaths;
  recorder: EventRecorder;
  log(message: string, err?: unknown): void;
}

/**
 * Volumes the kubelet writes from API objects: always mounted read-only into containers (their plugins' attributes
 * say ReadOnly, and makeMounts honours it), so a container can neither change them nor plant a symlink in the
 * directory the atomic writer swaps.
 */
const apiDataVolumes = new Set<DesiredVolume["kind"]>(["configMap", "secret", "downwardAPI", "projected"]);

const containerMount = (hostPath: string, mount: VolumeMount, volume: DesiredVolume): ContainerMount => ({
  hostPath,
  containerPath: mount.mountPath,
  readOnly: Boolean(mount.readOnly) || apiDataVolumes.has(volume.kind),
});

/**
 * The host paths each container of the pod gets. A subPath escaping its volume through a symlink stops that
 * container with CreateContainerConfigError (and a "Failed" event when it first happens); the others are unaffected.
 */
export async function prepareContainerMounts(
  ctx: ContainerMountsContext,
  pod: Pod,
  desired: DesiredVolume[],
): Promise<ContainerMounts> {
  const errors: ContainerErrors = {};
  const mounts = new Map<string, ContainerMount[]>();
  for (const container of [...(pod.spec.initContainers ?? []), ...pod.spec.containers]) {
    const list: ContainerMount[] = [];
    mounts.set(container.name, list);
    // volumeDevices: a block volume's published device, bound at its devicePath (in the container's own /dev).
    for (const device of container.volumeDevices ?? []) {
      const volume = desired.find((v) => v.outerName === device.name);
      const mounted = volume && ctx.actual.volumes.get(volumeKey(volume));
      if (mounted?.csi?.volumeMode === "Block") {
        list.push({ hostPath: mounted.csi.targetPath, containerPath: device.devicePath, readOnly: false });
      }
    }
    for (const [index, mount] of (container.volumeMounts ?? []).entries()) {
      const volume = desired.find((v) => v.outerName === mount.name);
      const mounted = volume && ctx.actual.volumes.get(volumeKey(volume));
      if (!mounted) continue;
      const volumePath = mounted.csi?.targetPath ?? mounted.dir;
      const subPath = subPathOf(mount, container);
      if (subPath === undefined) {
        list.push(containerMount(volumePath, mount, volume));
        continue;
      }
      try {
        const resolved = await prepareSubPath(volumePath, subPath);
        const target = ctx.paths.volumeSubpath(pod.metadata.uid ?? "", mount.name, container.name, index);
        list.push(containerMount(await bindSubPath(volumePath, resolved, target), mount, volume));
      } catch (err) {
        if (!(err instanceof SubPathError)) throw err;
        // kubelet_pods.go makeMounts' error, as kuberuntime reports it on the container and in a "Failed" event.
        const message = `failed to prepare subPath for volumeMount "${mount.name}" of container "${container.name}"`;
        ctx.log(`${message}: ${err.message}`);
        const before = pod.status?.containerStatuses?.find((c) => c.name === container.name)?.state?.waiting;
        if (before?.reason !== createContainerConfigError) {
          ctx.recorder.event(pod, "Warning", eventFailedToCreateContainer, `Error: ${message}`);
        }
        errors[container.name] ??= { reason: createContainerConfigError, message };
      }
    }
  }
  return { errors, mounts };
}
