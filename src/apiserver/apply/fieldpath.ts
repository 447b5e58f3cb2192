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
    addAll(out, other);
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

  /** Whether a path is a member of both sets: if not, `difference(other)` takes nothing from this one. */
  overlaps(other: FieldSet): boolean {
    if (this.member && other.member) return true;
    for (const [key, child] of this.children) {
      const theirs = other.children.get(key);
      if (theirs && child.overlaps(theirs)) return true;
    }
    return false;
  }

  /** fieldsV1, as managedFields stores it. */
  toFieldsV1(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    if (this.member && this.children.size) out["."] = {};
    const keys = [...this.children.keys()];
    if (keys.length > 1) keys.sort();
    for (const key of keys) {
      const child = this.children.get(key) as FieldSet;
      // a child with no member below it encodes as {} and is left out (an empty child is not a member)
      const fields = child.toFieldsV1();
      if (child.member || hasKeys(fields)) out[key] = fields;
    }
    return out;
  }

  static fromFieldsV1(fields: unknown): FieldSet {
    const set = new FieldSet();
    readFieldsV1(set, fields);
    set.member = false;
    return set;
  }
}

// Module-level rather than closures made per call: these run for every manager on every write.
function addAll(into: FieldSet, from: FieldSet): void {
  into.member ||= from.member;
  for (const [key, child] of from.children) addAll(into.child(key), child);
}

function readFieldsV1(node: FieldSet, value: unknown): void {
  if (!value || typeof value !== "object") return;
  let empty = true;
  for (const key in value) {
    empty = false;
    if (key === ".") node.member = true;
    else readFieldsV1(node.child(key), (value as Record<string, unknown>)[key]);
  }
  if (empty) node.member = true;
}

function hasKeys(object: Record<string, unknown>): boolean {
  for (const _ in object) return true;
  return false;
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
