// One node: volumes attached and mounted there, its pods and their claims, capacity per StorageClass there
// (CSIStorageCapacity) and each CSI driver's attach limit (CSINode).
import type { Node, Pod } from "../../api/core/types.js";
import type { CSINode, CSIStorageCapacity, VolumeAttachment } from "../../api/storage/types.js";
import { nodeSummary } from "../nodesummary.js";
import { useLiveObjects } from "./liveobjects.js";

export function NodeView({ name }: { name: string }) {
  const selector = (field: string) => `fieldSelector=${encodeURIComponent(`${field}=${name}`)}`;
  const nodes = useLiveObjects<Node>(`/api/v1/nodes?${selector("metadata.name")}`);
  const attachments = useLiveObjects<VolumeAttachment>("/apis/storage.k8s.io/v1/volumeattachments");
  const csiNodes = useLiveObjects<CSINode>(`/apis/storage.k8s.io/v1/csinodes?${selector("metadata.name")}`);
  const capacities = useLiveObjects<CSIStorageCapacity>("/apis/storage.k8s.io/v1/csistoragecapacities");
  const pods = useLiveObjects<Pod>(`/api/v1/pods?${selector("spec.nodeName")}`);
  const node = nodes[0];
  if (!node) return <p>Waiting for Node {name}…</p>;
  const summary = nodeSummary(node, attachments, csiNodes[0], capacities, pods);
  return (
    <section aria-labelledby="node-title">
      <h1 id="node-title">
        Node {name} <span class="count">{summary.ready ? "Ready" : "NotReady"}</span>
      </h1>
      <h2>Pods and their claims</h2>
      <ul data-list="pods">
        {summary.pods.map((p) => (
          <li key={`${p.namespace}/${p.name}`}>
            {p.namespace}/{p.name} ({p.phase}){p.claims.length > 0 && ": "}
            {p.claims.map((claim, i) => (
              <span key={claim}>
                {i > 0 && ", "}
                <a href={`#/claim/${p.namespace}/${claim}`}>{claim}</a>
              </span>
            ))}
          </li>
        ))}
      </ul>
      <h2>Volumes attached</h2>
      {summary.attachments.length === 0 ? (
        <p>None (drivers that need no attach, such as hostpath, mount without one).</p>
      ) : (
        <ul data-list="attachments">
          {summary.attachments.map((a) => (
            <li key={a.name}>
              {a.volume} via {a.attacher}: {a.attached ? "attached" : "attaching"}
              {a.error && <span class="error"> ({a.error})</span>}
            </li>
          ))}
        </ul>
      )}
      <h2>Volumes in use (mounted)</h2>
      <ul data-list="in-use">
        {summary.inUse.map((v) => (
          <li key={v}>{v}</li>
        ))}
      </ul>
      <h2>Capacity per StorageClass</h2>
      {summary.capacity.length === 0 && <p>No CSIStorageCapacity published for this node.</p>}
      <Rows
        name="capacity"
        head={["StorageClass", "Capacity", "Maximum volume size"]}
        rows={summary.capacity.map((c) => [c.storageClass, c.capacity, c.maximumVolumeSize])}
      />
      <h2>Attach limits</h2>
      <Rows
        name="limits"
        head={["Driver", "Attached", "Limit"]}
        rows={summary.limits.map((l) => [
          l.driver,
          String(l.attached),
          l.limit === undefined ? "none" : String(l.limit),
        ])}
      />
    </section>
  );
}

function Rows(props: { name: string; head: string[]; rows: string[][] }) {
  return (
    <table class="plain" data-table={props.name}>
      <thead>
        <tr>
          {props.head.map((h) => (
            <th key={h} scope="col">
              {h}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {props.rows.map((row, i) => (
          <tr key={i}>
            {row.map((cell, j) => (
              <td key={j}>{cell}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
