// Key-range helpers shared by the backends. Keys are compared as JavaScript strings (UTF-16 code units),
// which matches SQLite's BINARY collation and etcd's byte order for the ASCII keys the apiserver writes.

/** The smallest key greater than every key starting with `prefix`; undefined for "" (no upper bound). */
export function prefixEnd(prefix: string): string | undefined {
  for (let i = prefix.length - 1; i >= 0; i--) {
    const code = prefix.charCodeAt(i);
    if (code < 0xffff) return prefix.slice(0, i) + String.fromCharCode(code + 1);
  }
  return undefined;
}
