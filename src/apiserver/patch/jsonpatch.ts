// JSON Patch (RFC 6902) as upstream's apiserver applies it: gopkg.in/evanphx/json-patch.v4 (v4.12).
//
// Written here rather than taken from fast-json-patch (installed) on purpose: kubectl users see the library's
// error texts verbatim ("testing value /spec/x failed: test failed", "doc is missing path"), and v4 has quirks
// clients rely on that fast-json-patch does not share: negative array indices count from the end, `replace` of
// a missing object member adds it, `add`/`replace` without a value write null, `move` reports the last path
// segment. Matching those exactly is simpler with ~250 lines of our own than by wrapping another library.
import { badRequest, PatchError, unprocessable } from "./errors.js";
import { maxRequestBytes } from "../../store/store.js";
import { cannotUnmarshal } from "./format.js";
import { clone, deepEqual, getKey, isObject, setKey, type Json, type JsonObject } from "./json.js";

/** upstream's maxJSONPatchOperations */
export const maxJSONPatchOperations = 10000;
/** upstream's JSONPatchMaxCopyBytes (jsonpatch.AccumulatedCopySizeLimit): what all copies of a patch may add. */
export const maxCopyBytes = 3 * 1024 * 1024;

/** JSON size in UTF-8 bytes, as upstream's deepCopy measures a copied value. */
const jsonSize = (value: Json | undefined): number => Buffer.byteLength(JSON.stringify(value ?? null));

type Container = JsonObject | Json[];

/** An evanphx error: its text, built the way github.com/pkg/errors wraps ("context: cause"). */
class OpError extends Error {}
const missing = (context: string): OpError => new OpError(`${context}: missing value`);
const invalidIndex = (idx: number | bigint): OpError =>
  new OpError(`Unable to access invalid index: ${idx}: invalid index referenced`);

/** strconv.Atoi, with its error text. */
function atoi(text: string): number {
  if (!/^[+-]?[0-9]+$/.test(text)) throw new OpError(`strconv.Atoi: parsing ${JSON.stringify(text)}: invalid syntax`);
  const value = BigInt(text);
  if (value > 2n ** 63n - 1n || value < -(2n ** 63n))
    throw new OpError(`strconv.Atoi: parsing ${JSON.stringify(text)}: value out of range`);
  return Number(value);
}

/** RFC 6901 token decoding: "~1" is "/", then "~0" is "~". */
const decodeKey = (token: string): string => token.replace(/~1/g, "/").replace(/~0/g, "~");

/** container.get: a missing object member (or a null one) is undefined; a bad array index is an error. */
function get(container: Container, key: string): Json | undefined {
  if (!Array.isArray(container)) {
    const value = getKey(container, key);
    return value === null ? undefined : value;
  }
  let idx = atoi(key);
  if (idx < 0) {
    if (idx < -container.length) throw invalidIndex(idx);
    idx += container.length;
  }
  if (idx >= container.length) throw invalidIndex(idx);
  const value = container[idx];
  return value === null ? undefined : value;
}

/** container.set, used by replace only (the key is known to exist in an array). */
function set(container: Container, key: string, value: Json): void {
  if (!Array.isArray(container)) return setKey(container, key, value);
  let idx = atoi(key);
  if (idx < 0) {
    if (idx < -container.length) throw invalidIndex(idx);
    idx += container.length;
  }
  container[idx] = value;
}

function add(container: Container, key: string, value: Json): void {
  if (!Array.isArray(container)) return setKey(container, key, value);
  if (key === "-") {
    container.push(value);
    return;
  }
  let idx: number;
  try {
    idx = atoi(key);
  } catch (err) {
    throw new OpError(`value was not a proper array index: '${key}': ${(err as OpError).message}`);
  }
  const size = container.length + 1;
  if (idx >= size) throw invalidIndex(idx);
  if (idx < 0) {
    if (idx < -size) throw invalidIndex(idx);
    idx += size;
  }
  container.splice(idx, 0, value);
}

function remove(container: Container, key: string): void {
  if (!Array.isArray(container)) {
    if (!Object.hasOwn(container, key)) throw missing(`Unable to remove nonexistent key: ${key}`);
    delete container[key];
    return;
  }
  let idx = atoi(key);
  if (idx >= container.length) throw invalidIndex(idx);
  if (idx < 0) {
    if (idx < -container.length) throw invalidIndex(idx);
    idx += container.length;
  }
  container.splice(idx, 1);
}

/** findObject: the container holding the path's last token, or undefined when any step is missing. */
function findObject(root: Container, path: string): { container: Container; key: string } | undefined {
  const split = path.split("/");
  if (split.length < 2) return undefined;
  let container = root;
  for (const part of split.slice(1, -1)) {
    let next: Json | undefined;
    try {
      next = get(container, decodeKey(part));
    } catch {
      return undefined;
    }
    if (next === undefined || (typeof next !== "object" && !Array.isArray(next))) return undefined;
    container = next as Container;
  }
  return { container, key: decodeKey(split[split.length - 1]) };
}

/** One decoded operation: upstream's Operation, a map of raw members read on demand. */
class Operation {
  constructor(private readonly members: JsonObject | null) {}

  kind(): string {
    const op = this.members && getKey(this.members, "op");
    return typeof op === "string" ? op : "unknown";
  }
  private text(member: "path" | "from", missingText: string): string {
    const value = this.members && getKey(this.members, member);
    if (value === undefined || value === null) throw missing(missingText);
    if (typeof value !== "string") throw new OpError(cannotUnmarshal(value, "string"));
    return value;
  }
  path(): string {
    return this.text("path", "operation missing path field");
  }
  from(): string {
    return this.text("from", "operation, missing from field");
  }
  /** The value member; undefined when absent (upstream then writes null, and a `test` cannot pass). */
  value(): Json | undefined {
    return this.members ? getKey(this.members, "value") : undefined;
  }
}

/** Runs `step`, re-wrapping its OpError as `context: cause`. */
function wrap<T>(context: string, step: () => T): T {
  try {
    return step();
  } catch (err) {
    if (err instanceof OpError) throw new OpError(`${context}: ${err.message}`);
    throw err;
  }
}

function decodePath(op: Operation, context: string, keepCause: boolean): string {
  try {
    return op.path();
  } catch (err) {
    if (!(err instanceof OpError)) throw err;
    throw keepCause ? new OpError(`${context}: ${err.message}`) : missing(context);
  }
}

function decodeFrom(op: Operation, context: string): string {
  return wrap(context, () => op.from());
}

class Document {
  /** What copies have added so far (upstream's accumulatedCopySize). */
  private copied = 0;
  /**
   * How much copies may add before the object could not be stored: the largest object less the document's size
   * at the first copy and the patch's (add and replace values come from the patch; only copies multiply).
   */
  private room?: number;

  constructor(
    public root: Container,
    private readonly patch: Json,
  ) {}

  /** Counts a copy's bytes before it is made: a patch of a few copies must not build gigabytes first. */
  private countCopy(value: Json | undefined): void {
    this.copied += jsonSize(value);
    if (this.copied > maxCopyBytes)
      throw new OpError(
        `Unable to complete the copy, the accumulated size increase of copy is ${this.copied}, exceeding the limit ${maxCopyBytes}`,
      );
    this.room ??= maxRequestBytes - jsonSize(this.root) - jsonSize(this.patch);
    if (this.copied > this.room)
      throw new OpError(
        `Unable to complete the copy, the accumulated size increase of copy is ${this.copied}, which would make ` +
          `the object larger than the ${maxRequestBytes} bytes an object may have`,
      );
  }

  apply(op: Operation): void {
    switch (op.kind()) {
      case "add": {
        const path = decodePath(op, "add operation failed to decode path", false);
        const target = findObject(this.root, path);
        if (!target) throw missing(`add operation does not apply: doc is missing path: "${path}"`);
        wrap(`error in add for path: '${path}'`, () => add(target.container, target.key, op.value() ?? null));
        return;
      }
      case "remove": {
        const path = decodePath(op, "remove operation failed to decode path", false);
        const target = findObject(this.root, path);
        if (!target) throw missing(`remove operation does not apply: doc is missing path: "${path}"`);
        wrap(`error in remove for path: '${path}'`, () => remove(target.container, target.key));
        return;
      }
      case "replace": {
        const path = decodePath(op, "replace operation failed to decode path", true);
        if (path === "") {
          // the whole document; upstream silently ignores a value that is neither an object nor an array
          const value = op.value();
          if (value !== undefined && value !== null && typeof value === "object") this.root = value;
          return;
        }
        const target = findObject(this.root, path);
        if (!target) throw missing(`replace operation does not apply: doc is missing path: ${path}`);
        try {
          get(target.container, target.key);
        } catch {
          throw missing(`replace operation does not apply: doc is missing key: ${path}`);
        }
        // upstream's wording says "remove" here
        wrap(`error in remove for path: '${path}'`, () => set(target.container, target.key, op.value() ?? null));
        return;
      }
      case "move": {
        const from = decodeFrom(op, "move operation failed to decode from");
        const source = findObject(this.root, from);
        if (!source) throw missing(`move operation does not apply: doc is missing from path: ${from}`);
        const value = wrap(`error in move for path: '${source.key}'`, () => get(source.container, source.key));
        wrap(`error in move for path: '${source.key}'`, () => remove(source.container, source.key));
        const path = decodePath(op, "move operation failed to decode path", true);
        const target = findObject(this.root, path);
        if (!target) throw missing(`move operation does not apply: doc is missing destination path: ${path}`);
        wrap(`error in move for path: '${path}'`, () => add(target.container, target.key, value ?? null));
        return;
      }
      case "test": {
        const path = decodePath(op, "test operation failed to decode path", true);
        const want = op.value();
        if (path === "") {
          if (!deepEqual(this.root, want)) throw new OpError(`testing value ${path} failed: test failed`);
          return;
        }
        const target = findObject(this.root, path);
        if (!target) throw missing(`test operation does not apply: is missing path: ${path}`);
        const have = wrap(`error in test for path: '${path}'`, () => get(target.container, target.key));
        // a missing member and a null one both equal `"value": null`
        const same = have === undefined ? want === null : want !== undefined && deepEqual(have, want);
        if (!same) throw new OpError(`testing value ${path} failed: test failed`);
        return;
      }
      case "copy": {
        const from = decodeFrom(op, "copy operation failed to decode from");
        const source = findObject(this.root, from);
        if (!source) throw missing(`copy operation does not apply: doc is missing from path: ${from}`);
        const value = wrap(`error in copy for from: '${from}'`, () => get(source.container, source.key));
        const path = decodePath(op, "copy operation failed to decode path", false);
        const target = findObject(this.root, path);
        if (!target) throw missing(`copy operation does not apply: doc is missing destination path: ${path}`);
        this.countCopy(value);
        wrap("error while adding value during copy", () =>
          add(target.container, target.key, value === undefined ? null : clone(value)),
        );
        return;
      }
      default:
        throw new OpError(`Unexpected kind: ${op.kind()}`);
    }
  }
}

/**
 * Applies a JSON Patch to `original`, which it modifies (applyPatch passes a copy). A patch that is not a list of operations is 400 (as upstream's
 * DecodePatch), more than 10000 operations 413, and an operation that does not apply 422 — copies included that
 * would add more than 3 MiB (upstream's limit) or make the object too large to store (1.5 MiB, etcd's).
 */
export function applyJSONPatch(original: JsonObject, patch: Json): Json {
  if (patch !== null && !Array.isArray(patch)) throw badRequest(cannotUnmarshal(patch, "jsonpatch.Patch"));
  const operations = (patch ?? []).map((member) => {
    if (member !== null && !isObject(member)) throw badRequest(cannotUnmarshal(member, "jsonpatch.Operation"));
    return new Operation(member);
  });
  if (operations.length > maxJSONPatchOperations)
    throw new PatchError(
      413,
      "RequestEntityTooLarge",
      `Request entity too large: The allowed maximum operations in a JSON patch is ${maxJSONPatchOperations}, got ${operations.length}`,
    );
  const document = new Document(original, patch);
  for (const op of operations) {
    try {
      document.apply(op);
    } catch (err) {
      if (err instanceof OpError) throw unprocessable(err.message);
      throw err;
    }
  }
  return document.root;
}
