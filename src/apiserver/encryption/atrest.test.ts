// A Secret written through an apiserver with an EncryptionConfiguration is not readable in the raw SQLite file, and
// reads back whole through the API; a ConfigMap (not configured) is stored as it was.
import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { ApiHandler, HttpMethod } from "../../api/http.js";
import { SqliteStore } from "../../store/sqlite.js";
import { createApiServer } from "../server.js";
import { parseEncryptionConfig } from "./config.js";

const secretText = "correct-horse-battery-staple";
const encoded = Buffer.from(secretText).toString("base64");

async function call(handler: ApiHandler, method: HttpMethod, path: string, body?: unknown) {
  const response = await handler({
    method,
    path,
    query: new URLSearchParams(),
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : Buffer.from(JSON.stringify(body)),
  });
  return {
    status: response.status,
    body: JSON.parse(Buffer.from(response.body as Uint8Array).toString()) as Record<string, unknown>,
  };
}

test("a Secret is encrypted at rest in the store file and reads back through the API", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "stowage-atrest-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const store = SqliteStore.open(join(dir, "stowage.db"));
  const encryption = parseEncryptionConfig(`
apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources: [secrets]
    providers:
      - aesgcm: {keys: [{name: key1, secret: "${Buffer.alloc(32, 3).toString("base64")}"}]}
      - identity: {}
`);
  const server = await createApiServer({ store, encryption, log: () => undefined });
  t.after(async () => {
    await server.close();
    await store.close();
  });
  const created = await call(server.handler, "POST", "/api/v1/namespaces/default/secrets", {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "db" },
    data: { password: encoded },
  });
  assert.equal(created.status, 201);
  assert.deepEqual((created.body as { data: unknown }).data, { password: encoded });
  await call(server.handler, "POST", "/api/v1/namespaces/default/configmaps", {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "plain" },
    data: { note: "visible-on-disk" },
  });

  const read = await call(server.handler, "GET", "/api/v1/namespaces/default/secrets/db");
  assert.deepEqual((read.body as { data: unknown }).data, { password: encoded });
  const listed = await call(server.handler, "GET", "/api/v1/namespaces/default/secrets");
  assert.deepEqual(
    (listed.body as { items: { data: unknown }[] }).items.map((s) => s.data),
    [{ password: encoded }],
  );

  // Every file SQLite keeps (the database and its write-ahead log), as raw bytes.
  const files = (await readdir(dir)).filter((f) => f.startsWith("stowage.db"));
  const raw = Buffer.concat(await Promise.all(files.map((f) => readFile(join(dir, f)))));
  assert.ok(raw.includes("k8s:enc:aesgcm:v1:key1:"), "the Secret is stored in upstream's encrypted format");
  assert.ok(!raw.includes(encoded) && !raw.includes(secretText), "the Secret's data is not readable in the store file");
  assert.ok(raw.includes("visible-on-disk"), "resources not configured are stored as they are");
});
