// Every resource the apiserver serves, one ResourceDefinition each (the definitions live beside their types).
import { controllerRevisions } from "./apps/controllerrevision.js";
import { daemonSets } from "./apps/daemonset.js";
import { deployments } from "./apps/deployment.js";
import { replicaSets } from "./apps/replicaset.js";
import { statefulSets } from "./apps/statefulset.js";
import { cronJobs } from "./batch/cronjob.js";
import { jobs } from "./batch/job.js";
import { leases } from "./coordination/lease.js";
import { configMaps } from "./core/configmap.js";
import { secrets } from "./core/secret.js";
import { serviceAccounts } from "./core/serviceaccount.js";
import { events } from "./core/event.js";
import { namespaces } from "./core/namespace.js";
import { nodes } from "./core/node.js";
import { persistentVolumeClaims } from "./core/persistentvolumeclaim.js";
import { persistentVolumes } from "./core/persistentvolume.js";
import { pods } from "./core/pod.js";
import type { KubeObject } from "./meta.js";
import type { ResourceDefinition } from "./resource.js";
import { volumeSnapshotClasses } from "./snapshot/volumesnapshotclass.js";
import { volumeSnapshotContents } from "./snapshot/volumesnapshotcontent.js";
import { volumeSnapshots } from "./snapshot/volumesnapshot.js";
import { csiDrivers } from "./storage/csidriver.js";
import { csiNodes } from "./storage/csinode.js";
import { storageClasses } from "./storage/storageclass.js";
import { csiStorageCapacities } from "./storage/csistoragecapacity.js";
import { volumeAttachments } from "./storage/volumeattachment.js";
import { backupStorageLocations } from "./backup/backupstoragelocation.js";
import { backups } from "./backup/backup.js";
import { restores } from "./backup/restore.js";
import { schedules } from "./backup/schedule.js";
import { clusterRoleBindings, clusterRoles, roleBindings, roles } from "./rbac/resources.js";

// Each definition is typed for its own kind; the registry handles them as KubeObjects it has already parsed.
const widen = <T extends KubeObject>(definition: ResourceDefinition<T>): ResourceDefinition =>
  definition as unknown as ResourceDefinition;

export const resources: ResourceDefinition[] = [
  widen(namespaces),
  widen(persistentVolumes),
  widen(persistentVolumeClaims),
  widen(pods),
  widen(nodes),
  widen(configMaps),
  widen(secrets),
  widen(serviceAccounts),
  widen(events),
  widen(storageClasses),
  widen(csiDrivers),
  widen(csiNodes),
  widen(volumeAttachments),
  widen(csiStorageCapacities),
  widen(volumeSnapshots),
  widen(volumeSnapshotContents),
  widen(volumeSnapshotClasses),
  widen(statefulSets),
  widen(deployments),
  widen(replicaSets),
  widen(daemonSets),
  widen(controllerRevisions),
  widen(jobs),
  widen(cronJobs),
  widen(leases),
  widen(roles),
  widen(clusterRoles),
  widen(roleBindings),
  widen(clusterRoleBindings),
  widen(backupStorageLocations),
  widen(backups),
  widen(restores),
  widen(schedules),
];

const byPath = new Map(resources.map((r) => [`${r.group}/${r.version}/${r.plural}`, r]));

/** The resource served at /api(s)/{group}/{version}/{plural}; undefined if we do not serve it. */
export function findResource(group: string, version: string, plural: string): ResourceDefinition | undefined {
  return byPath.get(`${group}/${version}/${plural}`);
}

/** The resource for an apiVersion + kind (e.g. from a request body or an ownerReference). */
export function findResourceByKind(apiVersion: string, kind: string): ResourceDefinition | undefined {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/", 2) : ["", apiVersion];
  return resources.find((r) => r.group === group && r.version === version && r.kind === kind);
}
