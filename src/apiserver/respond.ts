// Response bodies: objects, lists (spliced from stored bytes), Tables and partial object metadata.
import { stringify as toYaml } from "yaml";
import type { ApiResponse } from "../api/http.js";
import type { KubeObject, Status } from "../api/meta.js";
import type { ResourceDefinition } from "../api/resource.js";
import { apiVersionOf } from "./decode.js";
import type { Representation } from "./media.js";
import { decodeObject, objectChunks, storedJson } from "./registry/codec.js";
import type { ListPage } from "./registry/list.js";
import type { StatusError } from "./errors.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export interface Output {
  representation: Representation;
  yaml: boolean;
  /** Table rows carry None, the object's metadata (default) or the whole Object (?includeObject=). */
  includeObject: "None" | "Metadata" | "Object";
  warnings: string[];
}

export function headers(output: Output | undefined, contentType = "application/json"): Record<string, string> {
  const h: Record<string, string> = { "content-type": output?.yaml ? "application/yaml" : contentType };
  if (output?.warnings.length) {
    // each text once, as upstream's warning recorder de-duplicates (a patch retried after a conflict re-admits)
    h.warning = [...new Set(output.warnings)].map((w) => `299 - ${JSON.stringify(w)}`).join(", ");
  }
  return h;
}

export function jsonResponse(status: number, value: unknown, output?: Output): ApiResponse {
  const body = Buffer.from(output?.yaml ? toYaml(value) : JSON.stringify(value));
  return { status, headers: headers(output), body };
}

export function statusResponse(err: StatusError, output?: Output): ApiResponse {
  return jsonResponse(err.code, err.toStatus(), output && { ...output, yaml: false });
}

export const successStatus = (details: Status["details"]): Status => ({
  apiVersion: "v1",
  kind: "Status",
  metadata: {},
  status: "Success",
  details,
  code: 200,
});

export function partialMetadata(object: KubeObject): KubeObject {
  return { apiVersion: "meta.k8s.io/v1", kind: "PartialObjectMetadata", metadata: object.metadata };
}

export function tableOf(
  def: ResourceDefinition,
  objects: KubeObject[],
  output: Output,
  listMeta: Record<string, unknown>,
  withColumns = true,
): Record<string, unknown> {
  const now = new Date();
  return {
    kind: "Table",
    apiVersion: "meta.k8s.io/v1",
    metadata: listMeta,
    ...(withColumns ? { columnDefinitions: def.table.columns } : {}),
    rows: objects.map((object) => {
      const row: Record<string, unknown> = { cells: def.table.row(object, now) };
      if (output.includeObject === "Object") row.object = object;
      else if (output.includeObject === "Metadata") row.object = partialMetadata(object);
      return row;
    }),
  };
}

/** One object in the representation asked for. */
export function objectResponse(
  def: ResourceDefinition,
  status: number,
  object: KubeObject,
  output: Output,
): ApiResponse {
  if (output.representation === "table") {
    return jsonResponse(
      status,
      tableOf(def, [object], output, { resourceVersion: object.metadata.resourceVersion }),
      output,
    );
  }
  if (output.representation === "metadata") return jsonResponse(status, partialMetadata(object), output);
  const stored = output.yaml ? undefined : storedJson(object);
  if (stored) return { status, headers: headers(output), body: stored };
  return jsonResponse(status, object, output);
}

export function listResponse(def: ResourceDefinition, page: ListPage, output: Output): ApiResponse {
  const listMeta: Record<string, unknown> = { resourceVersion: String(page.revision) };
  if (page.continue) listMeta.continue = page.continue;
  if (page.remainingItemCount !== undefined) listMeta.remainingItemCount = page.remainingItemCount;
  const objects = () => page.objects ?? page.items.map((kv) => decodeObject(kv));
  if (output.representation === "table") return jsonResponse(200, tableOf(def, objects(), output, listMeta), output);
  if (output.representation === "metadata") {
    return jsonResponse(
      200,
      {
        kind: "PartialObjectMetadataList",
        apiVersion: "meta.k8s.io/v1",
        metadata: listMeta,
        items: objects().map(partialMetadata),
      },
      output,
    );
  }
  if (output.yaml) {
    return jsonResponse(
      200,
      { kind: def.listKind, apiVersion: apiVersionOf(def), metadata: listMeta, items: objects() },
      output,
    );
  }
  // The fast path: the stored bytes, each with its resourceVersion spliced in, never parsed.
  const chunks: Uint8Array[] = [
    encoder.encode(
      `{"kind":${JSON.stringify(def.listKind)},"apiVersion":${JSON.stringify(apiVersionOf(def))},"metadata":${JSON.stringify(listMeta)},"items":[`,
    ),
  ];
  const bytes = page.bytes;
  page.items.forEach((kv, i) => {
    if (i > 0) chunks.push(comma);
    if (bytes) chunks.push(bytes[i]);
    else chunks.push(...objectChunks(kv.value, kv.modRevision));
  });
  chunks.push(encoder.encode("]}"));
  return { status: 200, headers: headers(output), body: Buffer.concat(chunks) };
}
const comma = encoder.encode(",");

export const text = (bytes: Uint8Array): string => decoder.decode(bytes);
