// Calling the apiserver's handler in tests: a request in a line, the answer as status + parsed JSON.
import type { ApiHandler, HttpMethod } from "../../api/http.js";

export interface Answer {
  status: number;
  headers: Record<string, string>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON answers
  body: any;
  text: string;
}

export async function call(
  handler: ApiHandler,
  method: HttpMethod,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const parsed = new URL(url, "http://stowage");
  const bytes =
    body === undefined
      ? undefined
      : body instanceof Uint8Array
        ? body
        : new TextEncoder().encode(typeof body === "string" ? body : JSON.stringify(body));
  const contentType = method === "PATCH" ? "application/merge-patch+json" : "application/json";
  const response = await handler({
    method,
    path: parsed.pathname,
    query: parsed.searchParams,
    headers: { "content-type": contentType, ...headers },
    body: bytes,
  });
  let raw: Uint8Array;
  if (response.body instanceof Uint8Array) raw = response.body;
  else {
    const chunks: Uint8Array[] = [];
    for await (const chunk of response.body) chunks.push(chunk);
    raw = Buffer.concat(chunks);
  }
  const text = new TextDecoder().decode(raw);
  let parsedBody: unknown;
  try {
    parsedBody = JSON.parse(text);
  } catch {
    parsedBody = undefined;
  }
  return { status: response.status, headers: response.headers, body: parsedBody, text };
}

export const pv = (name: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: "v1",
  kind: "PersistentVolume",
  metadata: { name },
  spec: {
    capacity: { storage: "5Gi" },
    accessModes: ["ReadWriteOnce"],
    persistentVolumeReclaimPolicy: "Retain",
    hostPath: { path: `/tmp/${name}` },
    ...extra,
  },
});

export const pvc = (name: string, spec: Record<string, unknown> = {}) => ({
  apiVersion: "v1",
  kind: "PersistentVolumeClaim",
  metadata: { name },
  spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } }, storageClassName: "", ...spec },
});
