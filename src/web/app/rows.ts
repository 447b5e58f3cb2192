// The rows of a live Table: the list's rows, then each watch event's one-row Table applied by the object's key,
// kept in the API's order (namespace, then name) so a new row lands where kubectl would print it.
export interface TableColumn {
  name: string;
  type: string;
  priority: number;
}

export interface TableRow {
  cells: unknown[];
  object?: { metadata?: { name?: string; namespace?: string; uid?: string } };
}

export interface Table {
  kind: "Table";
  metadata?: { resourceVersion?: string };
  columnDefinitions?: TableColumn[];
  rows?: TableRow[];
}

export const keyOfRow = (row: TableRow): string =>
  `${row.object?.metadata?.namespace ?? ""}/${row.object?.metadata?.name ?? ""}`;

export class LiveRows {
  columns: TableColumn[] = [];
  rows: TableRow[] = [];
  /** Bumped on every change, for the view to notice. */
  version = 0;

  replace(table: Table): void {
    this.columns = table.columnDefinitions ?? [];
    this.rows = [...(table.rows ?? [])].sort((a, b) => compare(keyOfRow(a), keyOfRow(b)));
    this.version++;
  }

  apply(type: string, table: Table): void {
    for (const row of table.rows ?? []) {
      const key = keyOfRow(row);
      const at = this.search(key);
      const present = at < this.rows.length && keyOfRow(this.rows[at]) === key;
      if (type === "DELETED") {
        if (present) this.rows.splice(at, 1);
      } else if (present) {
        this.rows[at] = row;
      } else {
        this.rows.splice(at, 0, row);
      }
    }
    this.version++;
  }

  /** The first index whose key is not below `key` (binary search: 10,000 rows stay cheap to update). */
  private search(key: string): number {
    let low = 0;
    let high = this.rows.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (compare(keyOfRow(this.rows[mid]), key) < 0) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
