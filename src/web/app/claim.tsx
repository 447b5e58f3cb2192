// One claim: what it is bound to, its timeline, its snapshots, and the actions RBAC allows (expand, snapshot,
// restore a snapshot into a new claim), each showing the object the API answered with.
import { useEffect, useRef, useState } from "preact/hooks";
import type { Event, PersistentVolumeClaim } from "../../api/core/types.js";
import type { VolumeSnapshot } from "../../api/snapshot/types.js";
import { claimTimeline, type ObservedPhase } from "../timeline.js";
import { accessOf, ActionForm, expandClaim, restoreSnapshot, takeSnapshot, useCan } from "./actions.js";
import { useLiveObjects } from "./liveobjects.js";

const field = (name: string, label: string, value: string, set: (v: string) => void) => (
  <label>
    {label}
    <input name={name} value={value} onInput={(e) => set((e.target as HTMLInputElement).value)} required />
  </label>
);

export function ClaimView(props: { namespace: string; name: string }) {
  const ns = encodeURIComponent(props.namespace);
  const claims = useLiveObjects<PersistentVolumeClaim>(
    `/api/v1/namespaces/${ns}/persistentvolumeclaims?fieldSelector=${encodeURIComponent(`metadata.name=${props.name}`)}`,
  );
  const events = useLiveObjects<Event>(`/api/v1/namespaces/${ns}/events`);
  const snapshots = useLiveObjects<VolumeSnapshot>(`/apis/snapshot.storage.k8s.io/v1/namespaces/${ns}/volumesnapshots`);
  const claim = claims[0];
  const phases = useObservedPhases(claim);
  if (!claim) return <p>Waiting for PersistentVolumeClaim {`${props.namespace}/${props.name}`}…</p>;
  const own = snapshots.filter((s) => s.spec.source.persistentVolumeClaimName === props.name);
  const timeline = claimTimeline(claim, events, snapshots, phases);
  return (
    <section aria-labelledby="claim-title">
      <h1 id="claim-title">
        PersistentVolumeClaim {props.namespace}/{props.name}
      </h1>
      <table class="plain">
        <tbody>
          {[
            ["Status", claim.status?.phase ?? "Pending"],
            ["Volume", claim.spec.volumeName ?? ""],
            ["Capacity", claim.status?.capacity?.storage ?? ""],
            ["Requested", claim.spec.resources?.requests?.storage ?? ""],
            ["StorageClass", claim.spec.storageClassName ?? ""],
            ["Access modes", (claim.spec.accessModes ?? []).join(", ")],
          ].map(([label, value]) => (
            <tr key={label}>
              <th scope="row">{label}</th>
              <td data-field={label}>{value}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <ClaimActions claim={claim} />
      <h2>Snapshots</h2>
      {own.length === 0 ? <p>None.</p> : <SnapshotList claim={claim} snapshots={own} />}
      <h2>Timeline</h2>
      <ol class="timeline">
        {timeline.map((entry, i) => (
          <li key={i} class={entry.type}>
            <time dateTime={entry.time}>{entry.time}</time> {entry.kind}: {entry.text}
          </li>
        ))}
      </ol>
    </section>
  );
}

/** The phases this page saw the claim pass through (the API keeps no history of them). */
function useObservedPhases(claim?: PersistentVolumeClaim): ObservedPhase[] {
  const seen = useRef<ObservedPhase[]>([]);
  const phase = claim?.status?.phase;
  const [, bump] = useState(0);
  useEffect(() => {
    if (!phase || seen.current[seen.current.length - 1]?.phase === phase) return;
    seen.current = [...seen.current, { time: new Date().toISOString(), phase }];
    bump((n) => n + 1);
  }, [phase]);
  return seen.current;
}

function ClaimActions({ claim }: { claim: PersistentVolumeClaim }) {
  const namespace = claim.metadata.namespace ?? "default";
  const name = claim.metadata.name ?? "";
  const mayPatch = useCan({ verb: "patch", group: "", resource: "persistentvolumeclaims", namespace });
  const maySnapshot = useCan({
    verb: "create",
    group: "snapshot.storage.k8s.io",
    resource: "volumesnapshots",
    namespace,
  });
  const [size, setSize] = useState(claim.spec.resources?.requests?.storage ?? "");
  const [snapshotName, setSnapshotName] = useState(`${name}-snapshot`);
  // data-access says the answers are in (tests and screen readers can tell "no actions" from "still asking")
  if (mayPatch === undefined || maySnapshot === undefined) return <span data-access="asking" />;
  if (!mayPatch && !maySnapshot) return <span data-access="none" />;
  return (
    <>
      <h2>Actions</h2>
      {mayPatch && (
        <ActionForm name="expand" label="Expand" act={() => expandClaim(namespace, name, size.trim())}>
          {field("size", "New size", size, setSize)}
        </ActionForm>
      )}
      {maySnapshot && (
        <ActionForm name="snapshot" label="Take snapshot" act={() => takeSnapshot(namespace, name, snapshotName)}>
          {field("snapshotName", "Snapshot name", snapshotName, setSnapshotName)}
        </ActionForm>
      )}
    </>
  );
}

function SnapshotList({ claim, snapshots }: { claim: PersistentVolumeClaim; snapshots: VolumeSnapshot[] }) {
  const namespace = claim.metadata.namespace ?? "default";
  const mayCreate = useCan({ verb: "create", group: "", resource: "persistentvolumeclaims", namespace });
  const [restoring, setRestoring] = useState<string>();
  const [claimName, setClaimName] = useState("");
  return (
    <ul data-access={accessOf(mayCreate)}>
      {snapshots.map((snapshot) => {
        const name = snapshot.metadata.name ?? "";
        const size = snapshot.status?.restoreSize ?? claim.spec.resources?.requests?.storage ?? "1Gi";
        return (
          <li key={name} data-snapshot={name}>
            {name}: {snapshot.status?.readyToUse ? "ready to use" : "not ready yet"}
            {mayCreate && restoring !== name && (
              <button type="button" onClick={() => (setRestoring(name), setClaimName(`${name}-restore`))}>
                Restore…
              </button>
            )}
            {mayCreate && restoring === name && (
              <ActionForm
                name="restore"
                label="Restore into new claim"
                act={() =>
                  restoreSnapshot(
                    { namespace, snapshot: name, size, storageClassName: claim.spec.storageClassName },
                    claimName,
                  )
                }
              >
                {field("claimName", "New claim name", claimName, setClaimName)}
              </ActionForm>
            )}
          </li>
        );
      })}
    </ul>
  );
}
