// `stowage explain <kind>/<name>`: the kinds it reads, named as kubectl names them, and the one entry point that
// turns a snapshot of the cluster into a verdict about one object.
import type { KubeObject } from "../meta.js";
import { named, type ClusterObjects } from "./cluster.js";
import { explainClaim } from "./claim.js";
import { explainAttachment, explainSnapshot, explainStatefulSet, explainVolume } from "./others.js";
import { explainPod } from "./pod.js";
import type { Explanation, Verdict } from "./verdict.js";

export type ExplainKind =
  "PersistentVolumeClaim" | "Pod" | "PersistentVolume" | "VolumeAttachment" | "VolumeSnapshot" | "StatefulSet";

interface KindInfo {
  kind: ExplainKind;
  /** Every spelling kubectl accepts: kind, plural, singular, short names, plural.group. */
  names: string[];
  namespaced: boolean;
}

export const explainKinds: readonly KindInfo[] = [
  {
    kind: "PersistentVolumeClaim",
    names: ["persistentvolumeclaims", "persistentvolumeclaim", "pvc"],
    namespaced: true,
  },
  { kind: "Pod", names: ["pods", "pod", "po"], namespaced: true },
  { kind: "PersistentVolume", names: ["persistentvolumes", "persistentvolume", "pv"], namespaced: false },
  {
    kind: "VolumeAttachment",
    names: ["volumeattachments", "volumeattachment", "volumeattachments.storage.k8s.io"],
    namespaced: false,
  },
  {
    kind: "VolumeSnapshot",
    names: ["volumesnapshots", "volumesnapshot", "vs", "volumesnapshots.snapshot.storage.k8s.io"],
    namespaced: true,
  },
  { kind: "StatefulSet", names: ["statefulsets", "statefulset", "sts", "statefulsets.apps"], namespaced: true },
];

/** A target that cannot be explained: an unknown kind, a bad argument, an object that is not there. */
export class ExplainError extends Error {
  override readonly name = "ExplainError";
}

export interface Target {
  kind: ExplainKind;
  name: string;
  /** Undefined for cluster-scoped kinds. */
  namespace?: string;
}

const supported = "pvc, pod, pv, volumeattachment, volumesnapshot (vs), statefulset (sts)";

/** "pvc/data", "PersistentVolumeClaim/data", "sts/web" (or kind and name as two arguments) → a Target. */
export function parseTarget(args: readonly string[], namespace: string): Target {
  let kindText: string;
  let name: string;
  if (args.length === 1 && args[0].includes("/")) {
    [kindText, name] = [args[0].slice(0, args[0].indexOf("/")), args[0].slice(args[0].indexOf("/") + 1)];
  } else if (args.length === 2) {
    [kindText, name] = [args[0], args[1]];
  } else {
    throw new ExplainError(`expected <kind>/<name> (or <kind> <name>), e.g. pvc/data; kinds: ${supported}`);
  }
  const info = explainKinds.find(
    (k) => k.names.includes(kindText.toLowerCase()) || k.kind.toLowerCase() === kindText.toLowerCase(),
  );
  if (!info)
    throw new ExplainError(
      `the server doesn't have a resource type "${kindText}" that explain reads; kinds: ${supported}`,
    );
  if (!name || name.includes("/"))
    throw new ExplainError(`"${args.join(" ")}": the name must be one non-empty name, e.g. ${kindText}/data`);
  return { kind: info.kind, name, ...(info.namespaced ? { namespace } : {}) };
}

/** The verdict on one object of the snapshot; ExplainError (kubectl's NotFound words) when it is not there. */
export function explain(cluster: ClusterObjects, target: Target): Explanation {
  const verdict = verdictOf(cluster, target);
  if (!verdict) {
    const plural = explainKinds.find((k) => k.kind === target.kind)?.names[0] ?? target.kind;
    const where = target.namespace ? ` in namespace "${target.namespace}"` : "";
    throw new ExplainError(`${plural} "${target.name}" not found${where}`);
  }
  return verdict.result();
}

function verdictOf(cluster: ClusterObjects, { kind, name, namespace }: Target): Verdict | undefined {
  const explainIn = <T extends KubeObject>(
    list: readonly T[],
    how: (cluster: ClusterObjects, object: T) => Verdict,
  ) => {
    const object = named(list, name, namespace);
    return object && how(cluster, object);
  };
  switch (kind) {
    case "PersistentVolumeClaim":
      return explainIn(cluster.claims, explainClaim);
    case "Pod":
      return explainIn(cluster.pods, explainPod);
    case "PersistentVolume":
      return explainIn(cluster.volumes, explainVolume);
    case "VolumeAttachment":
      return explainIn(cluster.volumeAttachments, explainAttachment);
    case "VolumeSnapshot":
      return explainIn(cluster.volumeSnapshots, explainSnapshot);
    case "StatefulSet":
      return explainIn(cluster.statefulSets, explainStatefulSet);
  }
}
