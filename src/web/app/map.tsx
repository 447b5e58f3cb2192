// The storage map: StorageClasses → claims → PVs → VolumeAttachments → nodes → pods drawn as a graph, live, with
// filters; a stuck object is outlined in amber and says its latest warning. Every box links to its object's view.
import { useMemo, useState } from "preact/hooks";
import type { Event, Node, PersistentVolume, PersistentVolumeClaim, Pod } from "../../api/core/types.js";
import type { StorageClass, VolumeAttachment } from "../../api/storage/types.js";
import { mapKinds, storageMap, type MapFilter, type MapItem, type StorageMap } from "../storagemap.js";
import { useLiveObjects } from "./liveobjects.js";

const columnWidth = 210;
const boxWidth = 170;
const boxHeight = 40;
const rowGap = 52;
const top = 36;

const columnTitles: Record<string, string> = {
  StorageClass: "StorageClasses",
  PersistentVolumeClaim: "Claims",
  PersistentVolume: "Volumes",
  VolumeAttachment: "Attachments",
  Node: "Nodes",
  Pod: "Pods",
};

function hrefOf(item: MapItem): string {
  switch (item.kind) {
    case "PersistentVolumeClaim":
      return `#/claim/${item.namespace}/${item.name}`;
    case "Node":
      return `#/node/${item.name}`;
    case "PersistentVolume":
      return "#/list/persistentvolumes";
    case "VolumeAttachment":
      return "#/list/volumeattachments";
    default:
      return `#/map`;
  }
}

/** Orders each column by where its neighbours to the left sit, so edges cross less. */
function layout(map: StorageMap): Map<string, { x: number; y: number }> {
  const at = new Map<string, { x: number; y: number }>();
  mapKinds.forEach((kind, column) => {
    const items = map.columns[kind];
    const weight = (item: MapItem) => {
      const ys = map.edges.filter((e) => e.to === item.id && at.has(e.from)).map((e) => at.get(e.from)?.y ?? 0);
      return ys.length ? ys.reduce((a, b) => a + b, 0) / ys.length : Number.MAX_SAFE_INTEGER;
    };
    const ordered = [...items].sort((a, b) => weight(a) - weight(b) || (a.id < b.id ? -1 : 1));
    ordered.forEach((item, row) => at.set(item.id, { x: 10 + column * columnWidth, y: top + row * rowGap }));
  });
  return at;
}

export function MapView() {
  const classes = useLiveObjects<StorageClass>("/apis/storage.k8s.io/v1/storageclasses");
  const claims = useLiveObjects<PersistentVolumeClaim>("/api/v1/persistentvolumeclaims");
  const volumes = useLiveObjects<PersistentVolume>("/api/v1/persistentvolumes");
  const attachments = useLiveObjects<VolumeAttachment>("/apis/storage.k8s.io/v1/volumeattachments");
  const nodes = useLiveObjects<Node>("/api/v1/nodes");
  const pods = useLiveObjects<Pod>("/api/v1/pods");
  const events = useLiveObjects<Event>("/api/v1/events");
  const [filter, setFilter] = useState<MapFilter>({});
  const objects = { classes, claims, volumes, attachments, nodes, pods, events };
  const map = useMemo(() => storageMap(objects, filter), [...Object.values(objects), filter]);
  const everything = useMemo(() => storageMap(objects), Object.values(objects));
  const stuck = mapKinds.flatMap((k) => map.columns[k]).filter((i) => i.stuck);
  const states = [...new Set(mapKinds.flatMap((k) => everything.columns[k].map((i) => i.state)).filter(Boolean))];
  const choice = (name: keyof MapFilter, label: string, values: string[]) => (
    <label>
      {label}
      <select
        name={name}
        value={filter[name] ?? ""}
        onChange={(e) => setFilter({ ...filter, [name]: (e.target as HTMLSelectElement).value || undefined })}
      >
        <option value="">all</option>
        {[...new Set(values)].sort().map((v) => (
          <option key={v} value={v}>
            {v}
          </option>
        ))}
      </select>
    </label>
  );
  return (
    <section class="map" aria-labelledby="map-title">
      <h1 id="map-title">Storage map</h1>
      <div class="filters" role="group" aria-label="filters">
        {choice(
          "namespace",
          "Namespace",
          claims.map((c) => c.metadata.namespace ?? "default"),
        )}
        {choice(
          "storageClass",
          "StorageClass",
          classes.map((c) => c.metadata.name ?? ""),
        )}
        {choice(
          "node",
          "Node",
          nodes.map((n) => n.metadata.name ?? ""),
        )}
        {choice("state", "State", [...states, "stuck"])}
      </div>
      <MapGraph map={map} />
      {stuck.length > 0 && (
        <>
          <h2>Stuck</h2>
          <ul class="stuck-list">
            {stuck.map((item) => (
              <li key={item.id} data-id={item.id}>
                <a href={hrefOf(item)}>
                  {item.kind} {item.namespace ? `${item.namespace}/` : ""}
                  {item.name}
                </a>
                : {item.stuck}
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

/** The graph itself: a column per kind, a box per object (a link), a curve per edge. */
function MapGraph({ map }: { map: StorageMap }) {
  const at = layout(map);
  const rows = Math.max(1, ...mapKinds.map((k) => map.columns[k].length));
  return (
    <svg
      role="group"
      aria-label="storage map"
      viewBox={`0 0 ${mapKinds.length * columnWidth} ${top + rows * rowGap}`}
      style={{ maxHeight: `${top + rows * rowGap}px` }}
    >
      {mapKinds.map((kind, column) => (
        <text key={kind} class="column" x={10 + column * columnWidth} y={20}>
          {columnTitles[kind]}
        </text>
      ))}
      {map.edges.map((edge) => {
        const from = at.get(edge.from);
        const to = at.get(edge.to);
        if (!from || !to) return null;
        const [x1, y1, x2, y2] = [from.x + boxWidth, from.y + boxHeight / 2, to.x, to.y + boxHeight / 2];
        const bend = (x2 - x1) / 2;
        return (
          <path
            key={`${edge.from}>${edge.to}`}
            class="edge"
            data-from={edge.from}
            data-to={edge.to}
            d={`M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}`}
          />
        );
      })}
      {mapKinds.flatMap((kind) =>
        map.columns[kind].map((item) => {
          const p = at.get(item.id) ?? { x: 0, y: 0 };
          const label = `${item.kind} ${item.namespace ? `${item.namespace}/` : ""}${item.name}${
            item.state ? `, ${item.state}` : ""
          }${item.stuck ? `, stuck: ${item.stuck}` : ""}`;
          return (
            <a
              key={item.id}
              href={hrefOf(item)}
              class={`box${item.stuck ? " stuck" : ""}`}
              data-id={item.id}
              data-state={item.state}
              aria-label={label}
            >
              <title>{label}</title>
              <rect x={p.x} y={p.y} width={boxWidth} height={boxHeight} rx={4} />
              <text x={p.x + 8} y={p.y + 16}>
                {item.name.length > 24 ? `${item.name.slice(0, 23)}…` : item.name}
              </text>
              <text class="sub" x={p.x + 8} y={p.y + 32}>
                {[item.namespace, item.state].filter(Boolean).join(" · ")}
              </text>
            </a>
          );
        }),
      )}
    </svg>
  );
}
