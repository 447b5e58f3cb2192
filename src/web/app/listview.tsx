// A resource's list as kubectl prints it (the API's Table: kubectl's columns and cells), live through watch and
// virtualized: only the rows in view (plus a few) are in the DOM, so 10,000 rows scroll as smoothly as 10. Rows have
// one fixed height, which makes windowing a division — no library needed for that.
import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { LiveRows, type Table, type TableRow } from "./rows.js";
import { tableAccept } from "./session.js";
import { listAndWatch } from "./watch.js";

export const rowHeight = 32;
const overscan = 8;
/** More slots than rows that can be in view at once on any screen. */
const slots = 256;

export interface ListViewProps {
  title: string;
  path: string;
  namespaced: boolean;
  /** Links for a row's name (a claim's timeline, a node's page). */
  link?: (row: TableRow) => string | undefined;
  /** The row's actions (none for a user who may do none: then there is no Actions column). */
  actions?: (row: TableRow, cell: (name: string) => string) => ComponentChildren;
  /** Whether the answer on actions is in ("asking", "allowed", "none"), as data-access. */
  access?: string;
}

export function ListView(props: ListViewProps) {
  const live = useRef(new LiveRows());
  const [, setVersion] = useState(0);
  const [error, setError] = useState<string>();
  const [loaded, setLoaded] = useState(false);
  useEffect(() => {
    const abort = new AbortController();
    live.current = new LiveRows();
    setLoaded(false);
    void listAndWatch<Table, Table>(
      props.path,
      tableAccept,
      {
        listed: (table) => {
          live.current.replace(table);
          // the frame after the rows render: how long a list took to show (the 10,000-row test reads it)
          requestAnimationFrame(() => performance.mark(`stowage:listed:${props.path}`));
          setLoaded(true);
          setError(undefined);
          setVersion(live.current.version);
        },
        event: (event) => {
          live.current.apply(event.type, event.object);
          setVersion(live.current.version);
        },
        failed: (err) => setError(String(err instanceof Error ? err.message : err)),
      },
      abort.signal,
    );
    return () => abort.abort();
  }, [props.path]);

  const rows = live.current;
  const shown = rows.columns.map((c, i) => ({ ...c, index: i })).filter((c) => c.priority === 0);
  const headers = [...(props.namespaced ? ["Namespace"] : []), ...shown.map((c) => c.name)];
  if (props.actions) headers.push("Actions");
  const template = `${props.namespaced ? "minmax(8rem, 1fr) " : ""}minmax(12rem, 2fr) repeat(${
    headers.length - 1 - (props.namespaced ? 1 : 0)
  }, minmax(6rem, 1fr))`;
  return (
    <section class="list" aria-labelledby="list-title" data-access={props.access}>
      <h1 id="list-title">
        {props.title} <span class="count">{loaded ? `${rows.rows.length}` : "loading…"}</span>
      </h1>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      <div role="table" aria-label={props.title} aria-rowcount={rows.rows.length + 1} class="table">
        <div role="row" class="row head" style={{ gridTemplateColumns: template }} aria-rowindex={1}>
          {headers.map((h) => (
            <span role="columnheader" key={h}>
              {h.toUpperCase()}
            </span>
          ))}
        </div>
        <Window rows={rows.rows} render={(row, index) => renderRow(props, row, index, shown, template)} />
      </div>
    </section>
  );
}

function renderRow(
  props: ListViewProps,
  row: TableRow,
  index: number,
  shown: Array<{ name: string; index: number }>,
  template: string,
) {
  const cell = (name: string) => {
    const column = shown.find((c) => c.name === name);
    return column ? String(row.cells[column.index] ?? "") : "";
  };
  const href = props.link?.(row);
  return (
    <div
      // keyed by slot, not by object: scrolling moves and refills the same few elements instead of making new ones
      key={index % slots}
      role="row"
      class="row"
      aria-rowindex={index + 2}
      data-name={row.object?.metadata?.name}
      style={{ top: `${index * rowHeight}px`, gridTemplateColumns: template }}
    >
      {props.namespaced && <span role="cell">{row.object?.metadata?.namespace}</span>}
      {shown.map((c, i) => (
        <span role="cell" key={c.name}>
          {i === 0 && href ? <a href={href}>{String(row.cells[c.index])}</a> : String(row.cells[c.index] ?? "")}
        </span>
      ))}
      {props.actions && (
        <span role="cell" class="actions">
          {props.actions(row, cell)}
        </span>
      )}
    </div>
  );
}

/** Renders only the rows in view; the spacer keeps the scrollbar the height of every row. */
function Window(props: { rows: TableRow[]; render: (row: TableRow, index: number) => ComponentChildren }) {
  const viewport = useRef<HTMLDivElement>(null);
  const [scroll, setScroll] = useState({ top: 0, height: 800 });
  useEffect(() => {
    const element = viewport.current;
    if (!element) return;
    const measure = () => setScroll({ top: element.scrollTop, height: element.clientHeight });
    measure();
    element.addEventListener("scroll", measure, { passive: true });
    window.addEventListener("resize", measure);
    return () => {
      element.removeEventListener("scroll", measure);
      window.removeEventListener("resize", measure);
    };
  }, []);
  const first = Math.max(0, Math.floor(scroll.top / rowHeight) - overscan);
  const last = Math.min(props.rows.length, Math.ceil((scroll.top + scroll.height) / rowHeight) + overscan);
  const visible = [];
  for (let i = first; i < last; i++) visible.push(props.render(props.rows[i], i));
  return (
    // tabindex: the list scrolls with the keyboard (arrows, Page Up/Down) once focused
    <div class="viewport" ref={viewport} tabIndex={0} aria-label="rows">
      <div class="spacer" style={{ height: `${props.rows.length * rowHeight}px` }}>
        {visible}
      </div>
    </div>
  );
}
