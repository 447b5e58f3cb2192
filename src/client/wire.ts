// The bytes of a response: whole bodies and watch streams, whichever the transport hands back.
import type { ApiResponse } from "../api/http.js";
import type { LabelSelector, Status } from "../api/meta.js";
import { ApiError, isStatus } from "./errors.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export const encodeJson = (value: unknown): Uint8Array => encoder.encode(JSON.stringify(value));

function isStream(body: ApiResponse["body"]): body is AsyncIterable<Uint8Array> {
  return !(body instanceof Uint8Array);
}

/** The whole body; a stream (an in-process handler may answer anything as one) is read to its end. */
export async function readBody(response: ApiResponse): Promise<Uint8Array> {
  const body = response.body;
  if (!isStream(body)) return body;
  const chunks: Uint8Array[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Any status ≥ 300 becomes an ApiError; otherwise the parsed JSON body. */
export async function readJson(response: ApiResponse): Promise<unknown> {
  const bytes = await readBody(response);
  if (response.status < 200 || response.status >= 300) throw ApiError.fromResponse(response.status, bytes);
  try {
    return JSON.parse(decoder.decode(bytes)) as unknown;
  } catch {
    throw new ApiError(
      response.status,
      "Unknown",
      `the server answered ${response.status} with a body that is not JSON: ${decoder.decode(bytes).slice(0, 200)}`,
    );
  }
}

/**
 * One JSON value per line from a watch stream. HTTP chunks split lines anywhere, so bytes are buffered up
 * to each "\n" (a line that never ends is still parsed when the stream closes).
 */
export async function* jsonLines(body: AsyncIterable<Uint8Array>): AsyncGenerator<unknown> {
  let pending = "";
  const textDecoder = new TextDecoder();
  for await (const chunk of body) {
    pending += textDecoder.decode(chunk, { stream: true });
    let newline = pending.indexOf("\n");
    while (newline >= 0) {
      const line = pending.slice(0, newline).trim();
      pending = pending.slice(newline + 1);
      if (line) yield JSON.parse(line) as unknown;
      newline = pending.indexOf("\n");
    }
  }
  pending += textDecoder.decode();
  if (pending.trim()) yield JSON.parse(pending) as unknown;
}

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK";

/** A watch event as typed objects. BOOKMARK objects carry only kind, apiVersion and metadata.resourceVersion. */
export interface WatchEvent<T> {
  type: WatchEventType;
  object: T;
}

/** Parses one watch line; an ERROR event (e.g. 410 Gone) becomes a thrown ApiError. */
export function toWatchEvent<T>(value: unknown): WatchEvent<T> {
  if (typeof value !== "object" || value === null) throw new ApiError(0, "Unknown", "watch event is not an object");
  const { type, object } = value as { type?: unknown; object?: unknown };
  if (type === "ERROR") {
    if (isStatus(object)) throw ApiError.fromStatus(object as Status);
    throw new ApiError(0, "Unknown", `watch ERROR event without a Status: ${JSON.stringify(object)}`);
  }
  if (type !== "ADDED" && type !== "MODIFIED" && type !== "DELETED" && type !== "BOOKMARK") {
    throw new ApiError(0, "Unknown", `unknown watch event type ${JSON.stringify(type)}`);
  }
  if (typeof object !== "object" || object === null) {
    throw new ApiError(0, "Unknown", `watch ${type} event without an object`);
  }
  return { type, object: object as T };
}

/** A LabelSelector object as the labelSelector query text upstream's LabelSelectorAsSelector prints. */
export function formatLabelSelector(selector: LabelSelector | Record<string, string> | string): string {
  if (typeof selector === "string") return selector;
  const isLabelSelector = "matchLabels" in selector || "matchExpressions" in selector;
  const s: LabelSelector = isLabelSelector
    ? (selector as LabelSelector)
    : { matchLabels: selector as Record<string, string> };
  const parts: string[] = [];
  for (const [key, value] of Object.entries(s.matchLabels ?? {})) parts.push(`${key}=${value}`);
  for (const r of s.matchExpressions ?? []) {
    const values = [...(r.values ?? [])].sort().join(",");
    if (r.operator === "In") parts.push(`${r.key} in (${values})`);
    else if (r.operator === "NotIn") parts.push(`${r.key} notin (${values})`);
    else if (r.operator === "Exists") parts.push(r.key);
    else parts.push(`!${r.key}`);
  }
  return parts.join(",");
}
