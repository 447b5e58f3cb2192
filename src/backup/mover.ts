// The data mover: a claim's data goes to restic through a CSI snapshot, read by a pod. The snapshot is
// crash-consistent and the claim keeps serving; a temporary claim restored from it is mounted by a pod that runs
// restic, so the bytes are read where the node agent mounts volumes (any driver, any node), never by the
// controller. A restore runs the same pod the other way on the new claim. The pod's restic summary comes back as
// its container's termination message.
import type { PersistentVolumeClaim, Pod, Secret } from "../api/core/types.js";
import type { VolumeSnapshot } from "../api/snapshot/types.js";
import type { Repository } from "./restic.js";
import { moverLabel } from "./resources.js";

/** Where the mover pod mounts the claim: restic records this path, and a restore writes it back there. */
export const dataPath = "/data";
const passwordKey = "password";

export const moverNames = (owner: string, claim: string) => ({
  snapshot: `${owner}-${claim}`,
  copy: `${owner}-${claim}-copy`,
  pod: `${owner}-${claim}-mover`,
  secret: `${owner}-restic`,
});

const labels = (owner: string) => ({ [moverLabel]: owner });

export function passwordSecret(owner: string, namespace: string, repository: Repository): Secret {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: moverNames(owner, "").secret, namespace, labels: labels(owner) },
    stringData: { [passwordKey]: repository.password },
  } as Secret;
}

export function volumeSnapshot(owner: string, claim: PersistentVolumeClaim, className?: string): VolumeSnapshot {
  const name = claim.metadata.name ?? "";
  return {
    apiVersion: "snapshot.storage.k8s.io/v1",
    kind: "VolumeSnapshot",
    metadata: { name: moverNames(owner, name).snapshot, namespace: claim.metadata.namespace, labels: labels(owner) },
    spec: { source: { persistentVolumeClaimName: name }, ...(className ? { volumeSnapshotClassName: className } : {}) },
  };
}

/** A claim holding the snapshot's contents, the size of the original. */
export function snapshotCopy(owner: string, claim: PersistentVolumeClaim): PersistentVolumeClaim {
  const names = moverNames(owner, claim.metadata.name ?? "");
  const size = claim.status?.capacity?.storage ?? claim.spec.resources?.requests?.storage ?? "1Gi";
  return {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name: names.copy, namespace: claim.metadata.namespace, labels: labels(owner) },
    spec: {
      accessModes: ["ReadWriteOnce"],
      storageClassName: claim.spec.storageClassName,
      resources: { requests: { storage: size } },
      dataSource: { apiGroup: "snapshot.storage.k8s.io", kind: "VolumeSnapshot", name: names.snapshot },
    },
  } as PersistentVolumeClaim;
}

const isDirectory = (url: string) => url.startsWith("/");

/** The pod that runs `script` with the claim at /data and the repository and its password at hand. */
function moverPod(
  owner: string,
  namespace: string,
  podName: string,
  claimName: string,
  repository: Repository,
  script: string,
  readOnly: boolean,
): Pod {
  const local = isDirectory(repository.url);
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: podName, namespace, labels: labels(owner) },
    spec: {
      restartPolicy: "Never",
      containers: [
        {
          name: "restic",
          image: "restic/restic",
          command: ["sh", "-c", script],
          env: [
            { name: "RESTIC_REPOSITORY", value: repository.url },
            {
              name: "RESTIC_PASSWORD",
              valueFrom: { secretKeyRef: { name: moverNames(owner, "").secret, key: passwordKey } },
            },
          ],
          volumeMounts: [
            { name: "data", mountPath: dataPath, readOnly },
            ...(local ? [{ name: "repository", mountPath: repository.url }] : []),
          ],
        },
      ],
      volumes: [
        { name: "data", persistentVolumeClaim: { claimName, readOnly } },
        ...(local ? [{ name: "repository", hostPath: { path: repository.url, type: "DirectoryOrCreate" } }] : []),
      ],
    },
  } as Pod;
}

const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

/** Backs up the snapshot's copy; the summary line (bytes read, bytes added) becomes the termination message. */
export function backupPod(owner: string, claim: PersistentVolumeClaim, repository: Repository, tags: string[]): Pod {
  const names = moverNames(owner, claim.metadata.name ?? "");
  const tagArgs = tags.map((tag) => `--tag ${quote(tag)}`).join(" ");
  const script =
    `restic --no-cache backup --json --host stowage ${tagArgs} ${dataPath} > /tmp/restic.out` +
    " && tail -n 1 /tmp/restic.out > /dev/termination-log";
  return moverPod(owner, claim.metadata.namespace ?? "", names.pod, names.copy, repository, script, true);
}

/** Writes a restic snapshot's /data into the claim; the bytes written become the termination message. */
export function restorePod(owner: string, claim: PersistentVolumeClaim, repository: Repository, snapshot: string): Pod {
  const names = moverNames(owner, claim.metadata.name ?? "");
  const script =
    `restic --no-cache restore ${quote(snapshot)} --target / --include ${dataPath}` +
    ` && du -sb ${dataPath} | cut -f1 > /dev/termination-log`;
  return moverPod(
    owner,
    claim.metadata.namespace ?? "",
    names.pod,
    claim.metadata.name ?? "",
    repository,
    script,
    false,
  );
}

/** The pod's outcome: undefined while it runs; its termination message when it succeeded; an error when it failed. */
export function moverOutcome(pod: Pod): { message: string } | Error | undefined {
  const terminated = pod.status?.containerStatuses?.[0]?.state?.terminated;
  if (pod.status?.phase === "Succeeded") return { message: terminated?.message ?? "" };
  if (pod.status?.phase === "Failed") {
    return new Error(`data mover pod ${pod.metadata.name} failed: ${terminated?.message ?? terminated?.reason ?? ""}`);
  }
  return undefined;
}

export interface ResticSummary {
  data_added: number;
  total_bytes_processed: number;
  snapshot_id: string;
}

export function parseSummary(message: string): ResticSummary | undefined {
  try {
    const parsed = JSON.parse(message) as Partial<ResticSummary> & { message_type?: string };
    return parsed.message_type === "summary" ? (parsed as ResticSummary) : undefined;
  } catch {
    return undefined;
  }
}
