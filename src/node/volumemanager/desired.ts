// The desired state of the world (pkg/kubelet/volumemanager/cache/desired_state_of_world.go and the populator):
// for every pod bound to this node and not being deleted, the volumes it needs, resolved to what mounts them
// (a claim to its PV's CSI source, a configMap to its name, …). Pure: reads caches, never writes. Below the
// plugins: they import these types, and nothing here imports a plugin.
import { ephemeralClaimName, volumeIsForPod } from "../../api/core/ephemeral.js";
import type {
  ConfigMapVolumeSource,
  CSIPersistentVolumeSource,
  CSIVolumeSource,
  DownwardAPIVolumeSource,
  EmptyDirVolumeSource,
  ProjectedVolumeSource,
  HostPathVolumeSource,
  NFSVolumeSource,
  PersistentVolume,
  PersistentVolumeClaim,
  PersistentVolumeMode,
  Pod,
  SecretVolumeSource,
  Volume,
} from "../../api/core/types.js";
import type { Lister } from "../../client/index.js";
import type { ObjectReader } from "../objectcache/reader.js";
import { pluginNames } from "../paths.js";

interface Common {
  podUid: string;
  /** The volume's name in pod.spec.volumes (the "outer" name, used in events about mounting). */
  outerName: string;
  /** The name of its directory under the pod's plugin dir: the PV name for claims, else the outer name. */
  innerName: string;
  plugin: string;
  /** Every container mounts it read-only (volumeMounts[].readOnly): upstream mounts it ro only for a ro claim/source. */
}

export type DesiredVolume = Common &
  (
    | {
        kind: "csi";
        source: CSIPersistentVolumeSource;
        pvName: string;
        /** "namespace/name" of the claim it came from (for NodeExpandVolume's bookkeeping). */
        claimKey: string;
        /** claim.readOnly || csi.readOnly */
        readOnly: boolean;
        mountOptions: string[];
        volumeMode: PersistentVolumeMode;
        accessModes: string[];
        /** The pod's securityContext.fsGroup and fsGroupChangePolicy (the kubelet's MounterArgs). */
        fsGroup?: number;
        fsGroupChangePolicy?: "OnRootMismatch" | "Always";
      }
    | {
        kind: "csiEphemeral";
        source: CSIVolumeSource;
        /** The pod's securityContext.fsGroup and fsGroupChangePolicy, as for a claim's CSI volume. */
        fsGroup?: number;
        fsGroupChangePolicy?: "OnRootMismatch" | "Always";
      }
    | { kind: "emptyDir"; source: EmptyDirVolumeSource }
    | { kind: "hostPath"; source: HostPathVolumeSource }
    | { kind: "configMap"; source: ConfigMapVolumeSource; namespace: string }
    | { kind: "secret"; source: SecretVolumeSource; namespace: string }
    | { kind: "downwardAPI"; source: DownwardAPIVolumeSource; pod: Pod }
    | { kind: "projected"; source: ProjectedVolumeSource; pod: Pod }
    | {
        kind: "nfs";
        source: { server: string; path: string; readOnly?: boolean };
        /** source.readOnly || the claim's readOnly */
        readOnly: boolean;
        /** The PV's spec.mountOptions (none inline). */
        mountOptions: string[];
      }
  );

/** A volume the populator could not turn into something mountable, with upstream's reason. */
export interface VolumeError {
  podUid: string;
  outerName: string;
  message: string;
}

export interface DesiredPod {
  pod: Pod;
  volumes: DesiredVolume[];
  errors: VolumeError[];
}

export const volumeKey = (v: { podUid: string; plugin: string; innerName: string }): string =>
  `${v.podUid}/${v.plugin}/${v.innerName}`;

/**
 * A pod keeps its volumes until it is being deleted or finished (runtime none: its containers stop at once;
 * runtime process: see volumeManagerPods, which keeps them while containers still run).
 */
export function podNeedsVolumes(pod: Pod): boolean {
  if (pod.metadata.deletionTimestamp) return false;
  return pod.status?.phase !== "Succeeded" && pod.status?.phase !== "Failed";
}

/**
 * The pods as the volume manager sees them when containers really run (runtime "process"): a pod whose containers
 * are still alive keeps its volumes while it is being deleted, after it finished or was evicted, and even once it
 * is gone from the API (force-deleted; `gone` lists those), because its processes have the volumes bound until they
 * exit. Such a pod is shown as still running — the only thing the volume manager reads from that — so the
 * reconciler's own rule (podNeedsVolumes) keeps its volumes; once the processes are gone it sees the pod as it is.
 */
export function volumeManagerPods(
  pods: Lister<Pod>,
  containersRunning: (podUid: string) => boolean,
  gone: () => Pod[],
): Lister<Pod> {
  const view = (pod: Pod): Pod =>
    podNeedsVolumes(pod) || !containersRunning(pod.metadata.uid ?? "")
      ? pod
      : {
          ...pod,
          metadata: { ...pod.metadata, deletionTimestamp: undefined },
          status: { ...pod.status, phase: "Running" },
        };
  return {
    get: (key) => {
      const pod = pods.get(key);
      return pod && view(pod);
    },
    list: (filter) => [
      ...pods.list(filter).map(view),
      ...gone()
        .filter((pod) => containersRunning(pod.metadata.uid ?? ""))
        .map(view),
    ],
    byIndex: (name, value) => pods.byIndex(name, value).map(view),
    keys: () => pods.keys(),
  };
}

/** Where claims and their PVs are read: a node GETs them one by one (objectcache/nodeobjects.ts). */
export interface DesiredListers {
  claims: ObjectReader<PersistentVolumeClaim>;
  volumes: ObjectReader<PersistentVolume>;
  /** A claim as our own write left it (the status NodeExpandVolume records): newer than the cached copy. */
  claimWritten?(claim: PersistentVolumeClaim): void;
}

type Base = Pick<Common, "podUid" | "outerName" | "innerName">;

/** The volumes of one pod, or the reason each of them cannot be mounted (yet). */
export function desiredPod(pod: Pod, listers: DesiredListers): DesiredPod {
  const podUid = pod.metadata.uid ?? "";
  const out: DesiredPod = { pod, volumes: [], errors: [] };
  for (const volume of pod.spec.volumes ?? []) {
    const base = { podUid, outerName: volume.name, innerName: volume.name };
    const desired =
      volume.persistentVolumeClaim || volume.ephemeral
        ? claimedVolume(pod, volume, base, listers)
        : inlineVolume(pod, volume, base);
    if (typeof desired === "string") out.errors.push({ ...base, message: desired });
    else out.volumes.push(desired);
  }
  return out;
}

/** A volume whose source is in the pod's spec, or why it cannot be mounted. */
function inlineVolume(pod: Pod, volume: Volume, base: Base): DesiredVolume | string {
  const namespace = pod.metadata.namespace ?? "default";
  if (volume.emptyDir) return { ...base, plugin: pluginNames.emptyDir, kind: "emptyDir", source: volume.emptyDir };
  if (volume.hostPath) return { ...base, plugin: pluginNames.hostPath, kind: "hostPath", source: volume.hostPath };
  if (volume.configMap)
    return { ...base, plugin: pluginNames.configMap, kind: "configMap", source: volume.configMap, namespace };
  if (volume.secret) return { ...base, plugin: pluginNames.secret, kind: "secret", source: volume.secret, namespace };
  if (volume.downwardAPI)
    return { ...base, plugin: pluginNames.downwardAPI, kind: "downwardAPI", source: volume.downwardAPI, pod };
  if (volume.projected)
    return { ...base, plugin: pluginNames.projected, kind: "projected", source: volume.projected, pod };
  if (volume.nfs) return nfsVolume(base, volume.nfs, Boolean(volume.nfs.readOnly), []);
  if (volume.csi) {
    const { fsGroup, fsGroupChangePolicy } = pod.spec.securityContext ?? {};
    return { ...base, plugin: pluginNames.csi, kind: "csiEphemeral", source: volume.csi, fsGroup, fsGroupChangePolicy };
  }
  const kind = Object.keys(volume).find((k) => k !== "name") ?? "unknown";
  return `stowage's node agent does not support ${kind} volumes yet`;
}

/** An nfs volume inline, or a claim's PV with spec.nfs (then named for the PV, with its mountOptions). */
const nfsVolume = (base: Base, source: NFSVolumeSource, readOnly: boolean, mountOptions: string[]): DesiredVolume => ({
  ...base,
  kind: "nfs",
  plugin: pluginNames.nfs,
  source,
  readOnly,
  mountOptions,
});

/** A claim's volume through its bound PV, or why it cannot be mounted (yet). */
function claimedVolume(pod: Pod, volume: Volume, base: Base, listers: DesiredListers): DesiredVolume | string {
  const namespace = pod.metadata.namespace ?? "default";
  // A generic ephemeral volume is its claim "<pod>-<volume>", used only when the pod owns it (upstream's populator).
  const claimName = volume.persistentVolumeClaim?.claimName ?? ephemeralClaimName(pod, volume);
  const claim = listers.claims.get(`${namespace}/${claimName}`);
  // Wording as upstream's desired_state_of_world_populator.getPVCExtractPV / getPVSpec.
  if (!claim) return `persistentvolumeclaim "${claimName}" not found`;
  if (claim.metadata.deletionTimestamp) return `PVC ${namespace}/${claimName} is being deleted`;
  const notForPod = volume.ephemeral ? volumeIsForPod(pod, claim) : undefined;
  if (notForPod) return notForPod;
  const pvName = claim.spec.volumeName ?? "";
  if (claim.status?.phase !== "Bound" || pvName === "") {
    return (
      `PVC ${namespace}/${claimName} has non-bound phase ("${claim.status?.phase ?? "Pending"}") ` +
      `or empty pvc.Spec.VolumeName ("${pvName}")`
    );
  }
  const pv = listers.volumes.get(pvName);
  if (!pv) return `failed to fetch PV ${pvName} from API server: persistentvolumes "${pvName}" not found`;
  if (pv.spec.claimRef?.uid && pv.spec.claimRef.uid !== claim.metadata.uid) {
    return `failed to fetch PV ${pvName} from API server: pv.Spec.ClaimRef.UID (${pv.spec.claimRef.uid}) does not point to claim.UID (${claim.metadata.uid})`;
  }
  const readOnly = Boolean(volume.persistentVolumeClaim?.readOnly);
  const named = { ...base, innerName: pvName };
  if (pv.spec.csi) {
    return {
      ...named,
      plugin: pluginNames.csi,
      kind: "csi",
      source: pv.spec.csi,
      pvName,
      claimKey: `${namespace}/${claimName}`,
      readOnly: readOnly || Boolean(pv.spec.csi.readOnly),
      mountOptions: pv.spec.mountOptions ?? [],
      volumeMode: pv.spec.volumeMode ?? "Filesystem",
      accessModes: pv.spec.accessModes ?? [],
      fsGroup: pod.spec.securityContext?.fsGroup,
      fsGroupChangePolicy: pod.spec.securityContext?.fsGroupChangePolicy,
    };
  }
  if (pv.spec.nfs) {
    return nfsVolume(named, pv.spec.nfs, readOnly || Boolean(pv.spec.nfs.readOnly), pv.spec.mountOptions ?? []);
  }
  if (pv.spec.hostPath) return { ...named, plugin: pluginNames.hostPath, kind: "hostPath", source: pv.spec.hostPath };
  if (pv.spec.local) {
    // A local PV is a path on this node: mounted like a hostPath Directory (upstream bind-mounts it).
    const source = { path: pv.spec.local.path, type: "Directory" as const };
    return { ...named, plugin: pluginNames.hostPath, kind: "hostPath", source };
  }
  return `no volume plugin matched name: PersistentVolume ${pvName}`;
}
