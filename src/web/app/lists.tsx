// The four lists the dashboard keeps live: where each is served, and which columns link where.
import type { TableRow } from "./rows.js";

export interface ListKind {
  route: string;
  title: string;
  path: string;
  group: string;
  resource: string;
  namespaced: boolean;
  link?: (row: TableRow) => string | undefined;
}

const claimLink = (row: TableRow) =>
  `#/claim/${row.object?.metadata?.namespace ?? ""}/${row.object?.metadata?.name ?? ""}`;

export const listKinds: ListKind[] = [
  {
    route: "persistentvolumes",
    title: "PersistentVolumes",
    path: "/api/v1/persistentvolumes",
    group: "",
    resource: "persistentvolumes",
    namespaced: false,
  },
  {
    route: "persistentvolumeclaims",
    title: "PersistentVolumeClaims",
    path: "/api/v1/persistentvolumeclaims",
    group: "",
    resource: "persistentvolumeclaims",
    namespaced: true,
    link: claimLink,
  },
  {
    route: "volumesnapshots",
    title: "VolumeSnapshots",
    path: "/apis/snapshot.storage.k8s.io/v1/volumesnapshots",
    group: "snapshot.storage.k8s.io",
    resource: "volumesnapshots",
    namespaced: true,
  },
  {
    route: "volumeattachments",
    title: "VolumeAttachments",
    path: "/apis/storage.k8s.io/v1/volumeattachments",
    group: "storage.k8s.io",
    resource: "volumeattachments",
    namespaced: false,
  },
];
