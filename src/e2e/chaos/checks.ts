// What the chaos test holds the cluster to. `problems` lists what is not yet as the workload asks (the test waits
// for none, and that wait is each fault's recovery time); `violations` are the end state's invariants: every claim
// Bound to exactly one PV whose claimRef points back, no PV bound twice, every driver volume belonging to a PV, no
// mount or loop device that no pod needs, every acknowledged write present.
import { createHash } from "node:crypto";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import type { PersistentVolume, PersistentVolumeClaim, Pod } from "../../api/core/types.js";
import type { VolumeAttachment } from "../../api/storage/types.js";
import { loopDevicesUnder, type ChaosCluster } from "./cluster.js";
import { namespace, setName, setReplicas, type Workload } from "./workload.js";

export interface ClusterState {
  claims: PersistentVolumeClaim[];
  volumes: PersistentVolume[];
  pods: Pod[];
  attachments: VolumeAttachment[];
  /** Volume ids the block driver has records of. */
  driverVolumes: string[];
}

export async function readState(cluster: ChaosCluster): Promise<ClusterState> {
  const { client } = cluster;
  const [claims, volumes, pods, attachments, records] = await Promise.all([
    client.persistentVolumeClaims.list({ namespace }),
    client.persistentVolumes.list(),
    client.pods.list({ namespace }),
    client.volumeAttachments.list(),
    readdir(join(cluster.cloud, "volumes")),
  ]);
  return {
    claims: claims.items,
    volumes: volumes.items,
    pods: pods.items,
    attachments: attachments.items,
    driverVolumes: records.filter((f) => f.endsWith(".json")).map((f) => f.slice(0, -".json".length)),
  };
}

const isSetPod = (name: string) => name.startsWith(`${setName}-`);
const isSetClaim = (name: string) => name.startsWith(`data-${setName}-`);
const handleOf = (volume: PersistentVolume) => volume.spec.csi?.volumeHandle ?? "";

/** What is not yet as asked: empty once the cluster has converged. */
export function problems(state: ClusterState, workload: Workload, setExists: boolean): string[] {
  const found: string[] = [];
  const expected = workload.expected();
  const claims = new Map(state.claims.map((c) => [c.metadata.name ?? "", c]));
  for (const name of expected.claims) {
    const claim = claims.get(name);
    if (claim?.status?.phase !== "Bound") found.push(`claim ${name}: ${claim?.status?.phase ?? "missing"}`);
  }
  for (const claim of state.claims) {
    const name = claim.metadata.name ?? "";
    if (!expected.claims.has(name) && !isSetClaim(name)) found.push(`claim ${name}: not yet deleted`);
    if (isSetClaim(name) && claim.status?.phase !== "Bound") found.push(`claim ${name}: ${claim.status?.phase}`);
  }
  const pods = new Map(state.pods.map((p) => [p.metadata.name ?? "", p]));
  const running = (p: Pod | undefined) => p?.status?.phase === "Running" && !p.metadata.deletionTimestamp;
  for (const name of expected.pods) if (!running(pods.get(name))) found.push(`pod ${name}: not Running`);
  for (const name of pods.keys()) {
    if (!expected.pods.has(name) && !isSetPod(name)) found.push(`pod ${name}: not yet deleted`);
  }
  const setPods = [...pods.values()].filter((p) => isSetPod(p.metadata.name ?? ""));
  if (setExists && (setPods.length !== setReplicas || !setPods.every(running))) {
    found.push(`StatefulSet: ${setPods.filter(running).length}/${setReplicas} pods Running`);
  }
  if (!setExists && setPods.length > 0) found.push(`StatefulSet deleted, ${setPods.length} pods left`);
  for (const volume of state.volumes) {
    if (volume.status?.phase !== "Bound") found.push(`PV ${volume.metadata.name}: ${volume.status?.phase}`);
  }
  const handles = new Set(state.volumes.map(handleOf));
  for (const id of state.driverVolumes) if (!handles.has(id)) found.push(`driver volume ${id}: no PV`);
  const needed = attachmentsNeeded(state);
  for (const attachment of state.attachments) {
    const key = `${attachment.spec.source.persistentVolumeName ?? ""}@${attachment.spec.nodeName}`;
    if (!needed.has(key)) found.push(`VolumeAttachment ${attachment.metadata.name}: no pod needs it`);
    else if (!attachment.status?.attached) found.push(`VolumeAttachment ${attachment.metadata.name}: not attached`);
  }
  return found;
}

/** "<pv>@<node>" for each claim a scheduled pod uses. */
function attachmentsNeeded(state: ClusterState): Set<string> {
  const volumeOf = new Map(state.claims.map((c) => [c.metadata.name ?? "", c.spec.volumeName ?? ""]));
  const needed = new Set<string>();
  for (const pod of state.pods) {
    for (const volume of pod.spec.volumes ?? []) {
      const claimName = volume.persistentVolumeClaim?.claimName;
      if (claimName && pod.spec.nodeName) needed.add(`${volumeOf.get(claimName) ?? ""}@${pod.spec.nodeName}`);
    }
  }
  return needed;
}

/** The end state's invariants, each broken one a line. */
export async function violations(cluster: ChaosCluster, state: ClusterState, workload: Workload): Promise<string[]> {
  const found: string[] = [];
  const volumes = new Map(state.volumes.map((v) => [v.metadata.name ?? "", v]));
  const boundBy = new Map<string, string[]>();
  for (const claim of state.claims) {
    const name = claim.metadata.name ?? "";
    const volume = volumes.get(claim.spec.volumeName ?? "");
    const ref = volume?.spec.claimRef;
    if (claim.status?.phase !== "Bound" || !volume) found.push(`claim ${name} is not Bound to a PV`);
    else if (ref?.uid !== claim.metadata.uid || ref?.name !== name || ref?.namespace !== namespace) {
      found.push(`claim ${name} names PV ${volume.metadata.name}, whose claimRef is ${ref?.namespace}/${ref?.name}`);
    }
    const names = boundBy.get(claim.spec.volumeName ?? "") ?? [];
    boundBy.set(claim.spec.volumeName ?? "", [...names, name]);
  }
  for (const [volume, claims] of boundBy) if (claims.length > 1) found.push(`PV ${volume} bound by ${claims}`);
  const byHandle = new Map<string, string[]>();
  for (const volume of state.volumes) {
    byHandle.set(handleOf(volume), [...(byHandle.get(handleOf(volume)) ?? []), volume.metadata.name ?? ""]);
  }
  for (const [handle, names] of byHandle) if (names.length > 1) found.push(`driver volume ${handle}: PVs ${names}`);
  for (const id of state.driverVolumes) if (!byHandle.has(id)) found.push(`driver volume ${id} belongs to no PV`);
  found.push(...(await leftovers(cluster, state)));
  const written = await cluster.client.configMaps.list({ namespace });
  const values = new Map(written.items.map((c) => [c.metadata.name ?? "", c.data?.value]));
  for (const [name, value] of workload.acknowledged) {
    if (values.get(name) !== value) found.push(`acknowledged write ${name}=${value} reads ${values.get(name)}`);
  }
  return found;
}

/** Mounts under a node's root dir that no pod on it needs, and loop devices of volumes no pod uses. */
async function leftovers(cluster: ChaosCluster, state: ClusterState): Promise<string[]> {
  const found: string[] = [];
  const volumes = new Map(state.volumes.map((v) => [v.metadata.name ?? "", v]));
  const handleOfClaim = new Map(
    state.claims.map((c) => {
      const volume = volumes.get(c.spec.volumeName ?? "");
      return [c.metadata.name ?? "", volume ? handleOf(volume) : ""];
    }),
  );
  const used = new Set<string>();
  for (const node of cluster.nodes) {
    const pods = state.pods.filter((p) => p.spec.nodeName === node.name);
    const uids = new Set(pods.map((p) => p.metadata.uid ?? ""));
    const handles = new Set(
      pods.flatMap((p) =>
        (p.spec.volumes ?? []).map((v) => handleOfClaim.get(v.persistentVolumeClaim?.claimName ?? "") ?? ""),
      ),
    );
    handles.forEach((h) => used.add(h));
    // the kubelet's staging dir is named for the sha256 of the volume handle (csi_attacher.go makeDeviceMountPath)
    const staged = new Set([...handles].map((h) => createHash("sha256").update(h).digest("hex")));
    for (const mount of await node.machine.mountsUnder(node.rootDir)) {
      const uid = /\/pods\/([^/]+)\//.exec(mount)?.[1];
      const stagingDir = /\/plugins\/kubernetes\.io\/csi\/[^/]+\/([0-9a-f]{64})\/globalmount$/.exec(mount)?.[1];
      if (uid !== undefined && uids.has(uid)) continue;
      if (stagingDir !== undefined && staged.has(stagingDir)) continue;
      found.push(`${node.name}: mount ${mount} that no pod needs`);
    }
  }
  const backing = new Map<string, number>();
  for (const [device, file] of await loopDevicesUnder(cluster.cloud)) {
    const id = /\/(vol-[0-9a-f]{24})\.img$/.exec(file)?.[1] ?? file;
    backing.set(id, (backing.get(id) ?? 0) + 1);
    if (!used.has(id)) found.push(`loop device ${device} (${id}) that no pod needs`);
  }
  for (const [id, count] of backing) if (count > 1) found.push(`${count} loop devices on volume ${id}`);
  return found;
}
