// How objects sit in the store: JSON without metadata.resourceVersion (the store's modRevision is the
// resourceVersion, as in upstream's etcd3 storage), always starting `{"apiVersion":…,"kind":…,"metadata":{`, so
// a list or watch can splice the resourceVersion in without parsing the object again.
import type { KubeObject } from "../../api/meta.js";
import type { KeyValue } from "../../store/store.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeObject(object: KubeObject): Uint8Array {
  const { apiVersion, kind, metadata, ...rest } = object as KubeObject & Record<string, unknown>;
  const { resourceVersion: _rv, ...meta } = metadata;
  // Buffer.from is several times faster than TextEncoder for large strings
  return Buffer.from(JSON.stringify({ apiVersion, kind, metadata: meta, ...rest }));
}

export function decodeObject<T extends KubeObject = KubeObject>(kv: KeyValue): T {
  const object = JSON.parse(Buffer.from(kv.value.buffer, kv.value.byteOffset, kv.value.byteLength).toString()) as T;
  object.metadata.resourceVersion = String(kv.modRevision);
  return object;
}

const metadataMarker = encoder.encode('"metadata":{');

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i <= haystack.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** The object's JSON with `"resourceVersion":"N"` spliced into metadata: no parse, no stringify. */
export function objectBytes(value: Uint8Array, revision: number): Uint8Array {
  const at = indexOf(value.subarray(0, 256), metadataMarker);
  if (at < 0) {
    const object = JSON.parse(decoder.decode(value)) as KubeObject;
    object.metadata = { ...object.metadata, resourceVersion: String(revision) };
    return encoder.encode(JSON.stringify(object));
  }
  const split = at + metadataMarker.length;
  const empty = value[split] === 0x7d; // "}": metadata is {}
  const insert = encoder.encode(`"resourceVersion":"${revision}"${empty ? "" : ","}`);
  return Buffer.concat([value.subarray(0, split), insert, value.subarray(split)]);
}

export const kvBytes = (kv: KeyValue): Uint8Array => objectBytes(kv.value, kv.modRevision);
