// A scheduled pod whose claims are Bound: attach (VolumeAttachment) → stage → publish (the node agent's mounts,
// its FailedMount events) → container. The Multi-Attach case names the pod still holding the volume.
import type { PersistentVolume, PersistentVolumeClaim, Pod } from "../core/types.js";
import type { VolumeAttachment } from "../storage/types.js";
import { EventFailedMapVolume, EventFailedMountVolume } from "../wellknown.js";
import { driverIsKnown, lastEvent, named, type ClusterObjects } from "./cluster.js";
import type { Verdict } from "./verdict.js";

/** IsMultiAttachAllowed: only ReadWriteMany or ReadOnlyMany (or no modes at all) let a second node attach. */
const multiAttachAllowed = (volume: PersistentVolume) =>
  (volume.spec.accessModes ?? []).length === 0 ||
  (volume.spec.accessModes ?? []).some((m) => m === "ReadWriteMany" || m === "ReadOnlyMany");

/** A ReplicaSet's pod names its Deployment through the ReplicaSet's name: `<deployment>-<pod-template-hash>`. */
function deploymentOf(pod: Pod): string | undefined {
  const owner = pod.metadata.ownerReferences?.find((ref) => ref.controller && ref.kind === "ReplicaSet");
  const hash = pod.metadata.labels?.["pod-template-hash"];
  if (!owner || !hash || !owner.name.endsWith(`-${hash}`)) return undefined;
  return owner.name.slice(0, -(hash.length + 1));
}

function multiAttach(
  cluster: ClusterObjects,
  pod: Pod,
  claim: PersistentVolumeClaim,
  volume: PersistentVolume,
  elsewhere: VolumeAttachment,
  verdict: Verdict,
): Verdict {
  const otherNode = elsewhere.spec.nodeName;
  const holders = cluster.pods.filter(
    (p) =>
      p.spec.nodeName === otherNode &&
      p.metadata.namespace === pod.metadata.namespace &&
      (p.spec.volumes ?? []).some((v) => v.persistentVolumeClaim?.claimName === claim.metadata.name),
  );
  const volumeName = volume.metadata.name ?? "";
  verdict.see("VolumeAttachment", elsewhere.metadata.name ?? "", `attaches ${volumeName} to node ${otherNode}`);
  for (const holder of holders)
    verdict.see(
      "Pod",
      holder.metadata.name ?? "",
      `on node ${otherNode}, uses claim ${claim.metadata.name ?? ""}`,
      holder.metadata.namespace,
    );
  const holderNames = holders.map((p) => p.metadata.name ?? "");
  const message =
    `Multi-Attach error for volume "${volumeName}": ` +
    (holders.length
      ? `Volume is already used by pod(s) ${holderNames.join(", ")} on node ${otherNode}`
      : `Volume is already exclusively attached to node ${otherNode} and can't be attached to another`);
  const deployment = deploymentOf(pod);
  const fix = deployment
    ? `Deployment ${deployment} replaces pods with RollingUpdate, so the new pod waits for the old one (${holderNames.join(", ") || "on " + otherNode}) to release the ${
        volume.spec.accessModes?.join(",") ?? ""
      } volume: set its spec.strategy.type: Recreate, or give the claim accessModes [ReadWriteOncePod]`
    : `the volume is ${volume.spec.accessModes?.join(",") ?? ""}: stop the pod holding it (${holderNames.join(", ") || "on " + otherNode}) first, or use a ReadWriteMany volume`;
  return verdict.block("attach", "MultiAttach", message, fix);
}

function checkAttach(
  cluster: ClusterObjects,
  pod: Pod,
  claim: PersistentVolumeClaim,
  volume: PersistentVolume,
  verdict: Verdict,
) {
  const driver = volume.spec.csi?.driver;
  if (!driver) return verdict.done("attach", `volume ${volume.metadata.name ?? ""} needs no attach`);
  const csiDriver = named(cluster.csiDrivers, driver);
  // Without a CSIDriver object upstream assumes attach is required.
  if (csiDriver && csiDriver.spec.attachRequired === false) return verdict.done("attach", `${driver} needs no attach`);
  const volumeName = volume.metadata.name ?? "";
  const nodeName = pod.spec.nodeName ?? "";
  const attachments = cluster.volumeAttachments.filter((va) => va.spec.source.persistentVolumeName === volumeName);
  const here = attachments.find((va) => va.spec.nodeName === nodeName);
  if (here?.status?.attached)
    return verdict.done("attach", `VolumeAttachment ${here.metadata.name ?? ""}: attached to ${nodeName}`);
  const elsewhere = attachments.find((va) => va.spec.nodeName !== nodeName);
  if (elsewhere && !multiAttachAllowed(volume)) return multiAttach(cluster, pod, claim, volume, elsewhere, verdict);
  if (here?.status?.attachError) {
    verdict.see("VolumeAttachment", here.metadata.name ?? "", `attachError: ${here.status.attachError.message ?? ""}`);
    return verdict.block(
      "attach",
      "AttachFailed",
      `AttachVolume.Attach failed for volume "${volumeName}" : ${here.status.attachError.message ?? ""}`,
      `fix what the driver says; the csi-attacher of ${driver} retries with backoff`,
    );
  }
  if (here) verdict.see("VolumeAttachment", here.metadata.name ?? "", "attached=false");
  if (!driverIsKnown(cluster, driver)) return attacherMissing(driver, volumeName, verdict);
  return verdict.waiting(
    "attach",
    "Attaching",
    here
      ? `waiting for the csi-attacher of ${driver} to attach ${volumeName} to ${nodeName}`
      : `waiting for the attach-detach controller to attach ${volumeName} to ${nodeName}`,
    "nothing yet; if it lasts, check that the controller-manager and the driver's csi-attacher run",
  );
}

/** Nothing says the driver is installed: no csi-attacher will ever attach its volumes. */
export function attacherMissing(driver: string, volumeName: string, verdict: Verdict): Verdict {
  return verdict.block(
    "attach",
    "AttacherNotRunning",
    `nothing attaches volume "${volumeName}": there is no CSIDriver ${driver}, no node registers it and no csi-attacher of it holds a Lease`,
    `install the CSI driver ${driver} with its csi-attacher, or fix the volume's spec.csi.driver`,
  );
}

/** Every CSI driver the pod's volumes need, by name. */
function driversOf(pod: Pod, volumes: PersistentVolume[]): string[] {
  const inline = (pod.spec.volumes ?? []).flatMap((v) => (v.csi?.driver ? [v.csi.driver] : []));
  const persistent = volumes.flatMap((v) => (v.spec.csi?.driver ? [v.spec.csi.driver] : []));
  return [...new Set([...persistent, ...inline])];
}

export function explainPodVolumes(
  cluster: ClusterObjects,
  pod: Pod,
  claims: PersistentVolumeClaim[],
  verdict: Verdict,
): Verdict {
  const nodeName = pod.spec.nodeName ?? "";
  const volumes: PersistentVolume[] = [];
  for (const claim of claims) {
    const volume = named(cluster.volumes, claim.spec.volumeName ?? "");
    if (!volume) continue;
    volumes.push(volume);
    checkAttach(cluster, pod, claim, volume, verdict);
    if (verdict.stopped) return verdict;
  }
  const csiNode = named(cluster.csiNodes, nodeName);
  for (const driver of driversOf(pod, volumes)) {
    if (csiNode?.spec.drivers.some((d) => d.name === driver)) continue;
    return verdict.block(
      "stage",
      "DriverNotRegistered",
      `driver name ${driver} not found in the list of registered CSI drivers on node ${nodeName}`,
      `run the CSI driver ${driver} on node ${nodeName} (it registers through the node agent's plugin socket), or fix the driver name`,
    );
  }
  const running = pod.status?.phase === "Running";
  const failed = running ? undefined : lastEvent(cluster, pod, EventFailedMountVolume, EventFailedMapVolume);
  if (failed) {
    const message = failed.message ?? "";
    verdict.see("Event", failed.metadata.name ?? "", `${failed.reason ?? ""}: ${message}`, failed.metadata.namespace);
    const stage = /MountDevice|MapDevice|NodeStage/.test(message);
    if (stage) verdict.block("stage", "MountFailed", message, "fix what the message names; the node agent retries");
    else
      verdict
        .done("stage", "staged")
        .block("publish", "MountFailed", message, "fix what the message names; the node agent retries");
    return verdict;
  }
  verdict.done("stage", volumes.length ? "volumes staged on the node" : "no volume to stage");
  return explainContainers(pod, verdict);
}

function explainContainers(pod: Pod, verdict: Verdict): Verdict {
  if (pod.status?.phase !== "Running") {
    return verdict.waiting(
      "publish",
      "Mounting",
      `waiting for node ${pod.spec.nodeName ?? ""} to mount the pod's volumes and start it`,
      "nothing yet",
    );
  }
  verdict.done("publish", "volumes mounted into the pod");
  for (const status of pod.status.containerStatuses ?? []) {
    const waiting = status.state?.waiting;
    if (waiting) {
      return verdict.block(
        "container",
        waiting.reason ?? "ContainerWaiting",
        `container ${status.name} is waiting: ${waiting.reason ?? ""} ${waiting.message ?? ""}`.trim(),
        `kubectl logs ${pod.metadata.name ?? ""} -c ${status.name} --previous; kubectl describe pod ${pod.metadata.name ?? ""}`,
      );
    }
  }
  verdict.state = `Running on ${pod.spec.nodeName ?? ""}`;
  return verdict.done("container", "containers running");
}
