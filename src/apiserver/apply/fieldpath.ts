// A set of field paths, as managedFields records what each manager owns (structured-merge-diff's fieldpath.Set):
// a tree whose edges are fieldsV1's keys — `f:<field>`, `k:<keys as JSON>` (an item of a list keyed by fields),
// `v:<value as JSON>` (an item of a set), `i:<index>` — and whose nodes may themselves be members (fieldsV1's ".").

export class FieldSet {
  /** Whether the path leading here is itself in the set. */
  member = false;
  readonly children = new Map<string, FieldSet>();

  child(key: string): FieldSet {
    let node = this.children.get(key);
    if (!node) this.children.set(key, (node = new FieldSet()));
    return node;
  }

  /** Adds the path `keys` (edges from here). */
  insert(keys: string[]): void {
    if (keys.length === 0) this.member = true;
    else this.child(keys[0]).insert(keys.slice(1));
  }

  isEmpty(): boolean {
    if (this.member) return false;
    for (const child of this.children.values()) if (!child.isEmpty()) return false;
    return true;
  }

  copy(): FieldSet {
    const out = new FieldSet();
    out.member = this.member;
    for (const [key, child] of this.children) out.children.set(key, child.copy());
    return out;
  }

  union(other: FieldSet): FieldSet {
    const out = this.copy();
    const add = (into: FieldSet, from: FieldSet) => {
      into.member ||= from.member;
      for (const [key, child] of from.children) add(into.child(key), child);
    };
    add(out, other);
    return out;
  }

  /** The paths of this set that are not in `other`. */
  difference(other: FieldSet): FieldSet {
    const out = new FieldSet();
    out.member = this.member && !other.member;
    for (const [key, child] of this.children) {
      const theirs = other.children.get(key);
      const rest = theirs ? child.difference(theirs) : child.copy();
      if (!rest.isEmpty()) out.children.set(key, rest);
    }
    return out;
  }

  intersection(other: FieldSet): FieldSet {
    const out = new FieldSet();
    out.member = this.member && other.member;
    for (const [key, child] of this.children) {
      const theirs = other.children.get(key);
      if (!theirs) continue;
      const both = child.intersection(theirs);
      if (!both.isEmpty()) out.children.set(key, both);
    }
    return out;
  }

  equals(other: FieldSet): boolean {
    return this.difference(other).isEmpty() && other.difference(this).isEmpty();
  }

  /** Every member path, as lists of edges, in a stable order. */
  paths(prefix: string[] = []): string[][] {
    const out: string[][] = this.member && prefix.length ? [prefix] : [];
    for (const key of [...this.children.keys()].sort()) {
      out.push(...(this.children.get(key) as FieldSet).paths([...prefix, key]));
    }
    return out;
  }

  /** fieldsV1, as managedFields stores it. */
  toFieldsV1(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    if (this.member && this.children.size) out["."] = {};
    for (const key of [...this.children.keys()].sort()) {
      const child = this.children.get(key) as FieldSet;
      if (!child.isEmpty()) out[key] = child.toFieldsV1();
    }
    return out;
  }

  static fromFieldsV1(fields: unknown): FieldSet {
    const set = new FieldSet();
    const read = (node: FieldSet, value: unknown) => {
      if (!value || typeof value !== "object") return;
      const entries = Object.entries(value);
      if (entries.length === 0) node.member = true;
      for (const [key, child] of entries) {
        if (key === ".") node.member = true;
        else read(node.child(key), child);
      }
    };
    read(set, fields);
    set.member = false;
    return set;
  }
}

/** A path as upstream prints it in a conflict: `.spec.containers[name="app"].image`, `.spec.accessModes`. */
export function pathString(keys: string[]): string {
  return keys
    .map((key) => {
      const rest = key.slice(2);
      switch (key.slice(0, 2)) {
        case "f:":
          return `.${rest}`;
        case "k:": {
          const fields = JSON.parse(rest) as Record<string, unknown>;
          const parts = Object.keys(fields)
            .sort()
            .map((name) => `${name}=${JSON.stringify(fields[name])}`);
          return `[${parts.join(",")}]`;
        }
        case "v:":
          return `[=${rest}]`;
        case "i:":
          return `[${rest}]`;
        default:
          return key;
      }
    })
    .join("");
}

/** fieldsV1's key of an item of a list keyed by `keys`: its key fields as compact JSON, sorted by name. */
export function itemKey(item: Record<string, unknown>, keys: string[]): string {
  const fields: Record<string, unknown> = {};
  for (const name of [...keys].sort()) if (item[name] !== undefined) fields[name] = item[name];
  return `k:${JSON.stringify(fields)}`;
}

export const valueKey = (value: unknown) => `v:${JSON.stringify(value)}`;
