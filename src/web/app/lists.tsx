// The four lists the dashboard keeps live: where each is served, which names link where, and the actions a row
// offers when RBAC allows them (a PVC's expand on its page; deleting a Released PV here).
import { useState } from "preact/hooks";
import { accessOf, ActionResult, deleteReleasedVolume, useCan } from "./actions.js";
import { ListView, type ListViewProps } from "./listview.js";
import type { TableRow } from "./rows.js";

export interface ListKind {
  route: string;
  title: string;
  path: string;
  namespaced: boolean;
  link?: (row: TableRow) => string | undefined;
}

const claimLink = (row: TableRow) =>
  `#/claim/${row.object?.metadata?.namespace ?? ""}/${row.object?.metadata?.name ?? ""}`;

export const listKinds: ListKind[] = [
  { route: "persistentvolumes", title: "PersistentVolumes", path: "/api/v1/persistentvolumes", namespaced: false },
  {
    route: "persistentvolumeclaims",
    title: "PersistentVolumeClaims",
    path: "/api/v1/persistentvolumeclaims",
    namespaced: true,
    link: claimLink,
  },
  {
    route: "volumesnapshots",
    title: "VolumeSnapshots",
    path: "/apis/snapshot.storage.k8s.io/v1/volumesnapshots",
    namespaced: true,
  },
  {
    route: "volumeattachments",
    title: "VolumeAttachments",
    path: "/apis/storage.k8s.io/v1/volumeattachments",
    namespaced: false,
  },
];

export function KindList({ kind }: { kind: ListKind }) {
  if (kind.route === "persistentvolumes") return <VolumeList kind={kind} />;
  if (kind.route === "persistentvolumeclaims") return <ClaimList kind={kind} />;
  return <ListView {...kind} access="none" />;
}

/** A Released volume's Delete, for a user who may delete PVs; the answer shows above the list. */
function VolumeList({ kind }: { kind: ListKind }) {
  const mayDelete = useCan({ verb: "delete", group: "", resource: "persistentvolumes" });
  const [outcome, setOutcome] = useState<{ result?: unknown; error?: string }>({});
  const remove = async (name: string) => {
    try {
      setOutcome({ result: await deleteReleasedVolume(name) });
    } catch (err) {
      setOutcome({ error: err instanceof Error ? err.message : String(err) });
    }
  };
  const actions: ListViewProps["actions"] = mayDelete
    ? (row, cell) =>
        cell("Status") === "Released" ? (
          <button type="button" onClick={() => void remove(row.object?.metadata?.name ?? "")}>
            Delete
          </button>
        ) : null
    : undefined;
  return (
    <>
      <ActionResult {...outcome} />
      <ListView {...kind} actions={actions} access={accessOf(mayDelete)} />
    </>
  );
}

/** A claim's actions live on its page: the row links there for a user who may change claims. */
function ClaimList({ kind }: { kind: ListKind }) {
  const mayPatch = useCan({ verb: "patch", group: "", resource: "persistentvolumeclaims" });
  const actions: ListViewProps["actions"] = mayPatch
    ? (row) => <a href={`${claimLink(row)}`}>Expand / snapshot…</a>
    : undefined;
  return <ListView {...kind} actions={actions} access={accessOf(mayPatch)} />;
}
