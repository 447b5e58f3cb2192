// The API fuzzer: generated requests — paths (resources, subresources, watch, health, nonsense, bad %-escapes),
// query parameters, headers (content types, accept, impersonation), bodies (objects near and far from valid,
// patches of every type, YAML, protobuf, random bytes) — sent over real HTTPS, one at a time, as the admin (so
// authorization lets each reach its handler). Every answer must be an answer: a refusal is a well-formed Status
// with a 4xx or 5xx code (never an unexpected InternalError), and a refused write leaves the store as it was.
import assert from "node:assert/strict";
import { Agent, request } from "node:https";
import fc from "fast-check";
import { createApiServer } from "../apiserver/server.js";
import { MemoryStore } from "../store/memory.js";
import { createCertificateAuthority, issueCertificate } from "../support/pki.js";

export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

const names = fc.oneof(
  fc.constantFrom("a", "default", "kube-system", "x-1", "pv0", "..", ".", "%ZZ", "%E0%A4%A", "%2F", "a%00b", "%C3%A9"),
  fc.stringMatching(/^[a-z0-9.-]{1,20}$/),
  fc.string({ maxLength: 12 }).map((s) => encodeURIComponent(s)),
);
const resources = fc.constantFrom(
  "persistentvolumes",
  "persistentvolumeclaims",
  "configmaps",
  "secrets",
  "pods",
  "namespaces",
  "nodes",
  "events",
  "serviceaccounts",
  "nonsense",
);
const groups = fc.constantFrom(
  "/api/v1",
  "/apis/storage.k8s.io/v1",
  "/apis/rbac.authorization.k8s.io/v1",
  "/apis/snapshot.storage.k8s.io/v1",
  "/apis/apps/v1",
  "/apis/nope/v9",
);
const subresources = fc.constantFrom("status", "log", "exec", "scale", "token", "finalize", "binding", "eviction", "x");

const paths: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(groups, resources).map(([g, r]) => `${g}/${r}`),
  fc.tuple(groups, names, resources).map(([g, ns, r]) => `${g}/namespaces/${ns}/${r}`),
  fc.tuple(groups, names, resources, names).map(([g, ns, r, n]) => `${g}/namespaces/${ns}/${r}/${n}`),
  fc.tuple(groups, resources, names, subresources).map(([g, r, n, s]) => `${g}/${r}/${n}/${s}`),
  fc
    .tuple(groups, names, resources, names, subresources)
    .map(([g, ns, r, n, s]) => `${g}/namespaces/${ns}/${r}/${n}/${s}`),
  fc.tuple(groups, resources).map(([g, r]) => `${g}/watch/${r}`),
  fc.constantFrom("/", "/api", "/apis", "/version", "/healthz", "/readyz?verbose", "/livez/etcd", "/openapi/v3"),
  fc.array(names, { maxLength: 6 }).map((parts) => `/${parts.join("/")}`),
);

const queryParams = fc.dictionary(
  fc.constantFrom(
    "labelSelector",
    "fieldSelector",
    "limit",
    "continue",
    "resourceVersion",
    "resourceVersionMatch",
    "timeoutSeconds",
    "dryRun",
    "fieldManager",
    "fieldValidation",
    "force",
    "propagationPolicy",
    "gracePeriodSeconds",
    "pretty",
    "follow",
    "tailLines",
    "container",
    "allowWatchBookmarks",
    "sendInitialEvents",
  ),
  fc.oneof(
    fc.constantFrom("", "0", "1", "-1", "true", "All", "a=b", "a in (b)", "metadata.name=x", "Strict", "99999999999"),
    fc.string({ maxLength: 20 }),
  ),
  { maxKeys: 4 },
);

const contentTypes = fc.constantFrom(
  "application/json",
  "application/yaml",
  "application/vnd.kubernetes.protobuf",
  "application/merge-patch+json",
  "application/json-patch+json",
  "application/strategic-merge-patch+json",
  "application/apply-patch+yaml",
  "text/plain",
  "application/json; charset=utf-16",
);

const kinds = fc.constantFrom(
  ["v1", "PersistentVolume"],
  ["v1", "PersistentVolumeClaim"],
  ["v1", "ConfigMap"],
  ["v1", "Namespace"],
  ["v1", "Pod"],
  ["storage.k8s.io/v1", "StorageClass"],
  ["v1", "Status"],
);

const objects = fc
  .record({
    kind: kinds,
    name: names,
    labels: fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 }),
    spec: fc.jsonValue({ maxDepth: 3 }),
    extra: fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 2 }),
  })
  .map(({ kind, name, labels, spec, extra }) => ({
    apiVersion: kind[0],
    kind: kind[1],
    metadata: { name: decodeURIComponentSafe(name), labels },
    spec,
    ...extra,
  }));

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

const jsonPatch = fc.array(
  fc.record({
    op: fc.constantFrom("add", "remove", "replace", "move", "copy", "test", "nope"),
    path: fc.constantFrom("/metadata/labels/a", "/spec", "/metadata", "", "/spec/0", "/~1x", "/metadata/annotations"),
    from: fc.constantFrom("/metadata", "/spec", "/metadata/labels", "/x"),
    value: fc.jsonValue({ maxDepth: 2 }),
  }),
  { maxLength: 8 },
);

const bodies: fc.Arbitrary<Buffer | undefined> = fc.oneof(
  fc.constant(undefined),
  objects.map((o) => Buffer.from(JSON.stringify(o))),
  jsonPatch.map((p) => Buffer.from(JSON.stringify(p))),
  fc.jsonValue({ maxDepth: 4 }).map((v) => Buffer.from(JSON.stringify(v))),
  fc.string({ maxLength: 200 }).map((s) => Buffer.from(s)),
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.concat([Buffer.from("k8s\0"), Buffer.from(b)])),
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
  objects.map((o) =>
    Buffer.from(`apiVersion: ${o.apiVersion}\nkind: ${o.kind}\nmetadata: {name: "${o.metadata.name}"}\n`),
  ),
);

const headerValues = fc.oneof(
  fc.constantFrom("", "system:masters", "alice", "*/*"),
  fc.stringMatching(/^[ -~]{0,30}$/),
);

export const fuzzRequests: fc.Arbitrary<FuzzRequest> = fc
  .record({
    method: fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE"),
    path: paths,
    query: queryParams,
    contentType: contentTypes,
    accept: fc.constantFrom(
      "application/json",
      "application/json;as=Table;v=v1;g=meta.k8s.io",
      "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io",
      "application/vnd.kubernetes.protobuf",
      "application/yaml",
      "*/*",
      "text/html",
    ),
    impersonate: fc.option(
      fc.dictionary(
        fc.constantFrom("impersonate-user", "impersonate-group", "impersonate-extra-%ZZ", "impersonate-uid"),
        headerValues,
        { maxKeys: 2 },
      ),
    ),
    body: bodies,
  })
  .map(({ method, path, query, contentType, accept, impersonate, body }) => {
    const search = new URLSearchParams(query).toString();
    const joined = search ? `${path}${path.includes("?") ? "&" : "?"}${search}` : path;
    return {
      method,
      path: joined,
      headers: { "content-type": contentType, accept, ...(impersonate ?? {}) },
      body,
    };
  });

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface ApiFuzzWorld {
  send(req: FuzzRequest): Promise<Answer>;
  revision(): Promise<number>;
  close(): Promise<void>;
}

/** A secured apiserver on HTTPS (memory store) and the admin's keep-alive connection to it. */
export async function startApiFuzzWorld(): Promise<ApiFuzzWorld> {
  const ca = await createCertificateAuthority("fuzz-ca", 1);
  const serving = await issueCertificate(ca, {
    commonName: "apiserver",
    usage: "server",
    hosts: ["127.0.0.1"],
    validDays: 1,
  });
  const admin = await issueCertificate(ca, {
    commonName: "kubernetes-admin",
    organizations: ["system:masters"],
    usage: "client",
    validDays: 1,
  });
  const store = new MemoryStore();
  const server = await createApiServer({
    store,
    tls: { cert: serving.cert, key: serving.key, clientCA: ca.cert },
    security: { authentication: { anonymous: false }, authorization: ["Node", "RBAC"] },
    compactionIntervalMs: 0,
    log: () => undefined,
  });
  const listener = await server.listen("127.0.0.1:0");
  const { port } = new URL(listener.url);
  const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: ca.cert, cert: admin.cert, key: admin.key });
  return {
    send: (req) =>
      new Promise<Answer>((resolve, reject) => {
        const r = request(
          {
            host: "127.0.0.1",
            port,
            method: req.method,
            path: req.path,
            // (node's client sends a DELETE's body unframed without it: a malformed request, not what we test)
            headers: { ...req.headers, ...(req.body ? { "content-length": String(req.body.length) } : {}) },
            agent,
            timeout: 10_000,
          },
          (res) => {
            if (res.statusCode === 200 && res.headers["content-length"] === undefined) {
              // a stream (a watch) that started: that is its answer
              res.destroy();
              return resolve({ status: res.statusCode ?? 0, headers: res.headers, body: "" });
            }
            let body = "";
            res.on("data", (chunk: Buffer) => (body += chunk.toString()));
            res.on("close", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
            res.on("error", () => undefined);
          },
        );
        r.on("timeout", () => r.destroy(new Error(`no answer to ${req.method} ${req.path} within 10 s`)));
        r.on("error", reject);
        r.end(req.body);
      }),
    revision: () => store.currentRevision(),
    async close() {
      agent.destroy();
      await server.close();
      await store.close();
    },
  };
}

/** The property every generated request must keep. */
export async function checkApiAnswer(world: ApiFuzzWorld, req: FuzzRequest): Promise<void> {
  const before = await world.revision();
  const answer = await world.send(req);
  assert.ok(answer.status >= 100 && answer.status < 600, `status ${answer.status}`);
  if (answer.status < 400 || req.method === "HEAD") return; // a HEAD answer has no body to be a Status
  if (req.path.startsWith("/healthz") || req.path.startsWith("/readyz") || req.path.startsWith("/livez")) return;
  let status: { kind?: string; code?: number; status?: string; reason?: string; message?: string };
  try {
    status = JSON.parse(answer.body) as typeof status;
  } catch {
    assert.fail(`a ${answer.status} answer is not a Status: ${answer.body.slice(0, 200)}`);
  }
  assert.equal(status.kind, "Status", answer.body.slice(0, 200));
  assert.equal(status.code, answer.status);
  assert.equal(status.status, "Failure");
  assert.ok(status.message, "a Status says what is wrong");
  assert.ok(
    !(answer.status === 500 && status.reason === "InternalError"),
    `an unexpected error: ${status.message ?? ""}`,
  );
  assert.equal(await world.revision(), before, "a refused request changed the store");
}
