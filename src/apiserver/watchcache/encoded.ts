// Each stored value decoded once and encoded once, whoever asks: the cache's objects, its events and every list and
// watch that includes them share the same KubeObject and the same bytes (keyed by the KeyValue, which the store
// hands out once and never changes).
import type { KubeObject } from "../../api/meta.js";
import type { KeyValue } from "../../store/store.js";
import { decodeObject, objectBytes } from "../registry/codec.js";

const decoded = new WeakMap<KeyValue, KubeObject>();
const encoded = new WeakMap<KeyValue, Uint8Array>();

/** The object, with its resourceVersion; shared and read-only. */
export function objectOf(kv: KeyValue): KubeObject {
  let object = decoded.get(kv);
  if (!object) decoded.set(kv, (object = decodeObject(kv)));
  return object;
}

/** The object's JSON with its resourceVersion spliced in, made once. */
export function bytesOf(kv: KeyValue): Uint8Array {
  let bytes = encoded.get(kv);
  if (!bytes) encoded.set(kv, (bytes = objectBytes(kv.value, kv.modRevision)));
  return bytes;
}

const closeEvent = Buffer.from("}\n");
const openEvent = {
  ADDED: Buffer.from('{"type":"ADDED","object":'),
  MODIFIED: Buffer.from('{"type":"MODIFIED","object":'),
  DELETED: Buffer.from('{"type":"DELETED","object":'),
};

/** One JSON watch event line: `{"type":…,"object":…}\n`. */
export function eventLine(type: keyof typeof openEvent, kv: KeyValue): Uint8Array {
  return Buffer.concat([openEvent[type], bytesOf(kv), closeEvent]);
}
