// `stowage apiserver`'s ServiceAccount token flags: read and checked at start, each problem naming its flag, and a
// server started with them issues tokens with the configured issuer and audiences.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { decodeJwt } from "jose";
import { newPrivateKey } from "../support/pki.js";
import { serviceAccountTokensFromFlags } from "./apiserver.js";

const main = fileURLToPath(new URL("./main.ts", import.meta.url));

test("the ServiceAccount flags are refused naming the flag; none given means no ServiceAccount tokens", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "stowage-saflags-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const key = join(dir, "sa.key");
  const notAKey = join(dir, "not-a-key.pem");
  await writeFile(key, await newPrivateKey());
  await writeFile(notAKey, "hello\n");
  assert.equal(serviceAccountTokensFromFlags({}), undefined);
  const cases: [Parameters<typeof serviceAccountTokensFromFlags>[0], RegExp][] = [
    [{ serviceAccountKeyFile: [key] }, /--service-account-signing-key-file is required/],
    [
      { serviceAccountSigningKeyFile: "/nonexistent.key" },
      /--service-account-signing-key-file \/nonexistent\.key: .*no such file/,
    ],
    [
      { serviceAccountSigningKeyFile: notAKey },
      /--service-account-signing-key-file .*not-a-key\.pem: data does not contain a valid RSA or ECDSA private key/,
    ],
    [
      { serviceAccountSigningKeyFile: key, serviceAccountKeyFile: [notAKey] },
      /--service-account-key-file .*not-a-key\.pem: data does not contain any valid RSA or ECDSA public keys/,
    ],
    [
      { serviceAccountSigningKeyFile: key, serviceAccountIssuer: ["https://bad host:x"] },
      /--service-account-issuer https:\/\/bad host:x: contained a ':' but was not a valid URL/,
    ],
  ];
  for (const [flags, message] of cases) assert.throws(() => serviceAccountTokensFromFlags(flags), message);
  assert.deepEqual(serviceAccountTokensFromFlags({ serviceAccountSigningKeyFile: key })?.issuers, [
    "https://kubernetes.default.svc.cluster.local",
  ]);
});

test("stowage apiserver with a signing key, issuer and audiences issues tokens that say so", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "stowage-sa-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const key = join(dir, "sa.key");
  await writeFile(key, await newPrivateKey());
  const flags = ["--service-account-signing-key-file", key, "--service-account-issuer", "https://issuer.example"];
  const child = spawn(process.execPath, [
    ...["--import", "tsx", main, "apiserver", "--store", "memory", "--listen", "127.0.0.1:0"],
    ...[...flags, "--api-audiences", "api,other"],
  ]);
  t.after(() => child.kill("SIGKILL"));
  let out = "";
  const url = await new Promise<string>((resolve) =>
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const match = /serving at (\S+)/.exec(out);
      if (match) resolve(match[1]);
    }),
  );
  const post = (path: string, body: unknown) =>
    fetch(`${url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  const sa = { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "ci" } };
  assert.equal((await post("/api/v1/namespaces/default/serviceaccounts", sa)).status, 201);
  const tokenRequest = { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: {} };
  const answer = await post("/api/v1/namespaces/default/serviceaccounts/ci/token", tokenRequest);
  assert.equal(answer.status, 201);
  const body = (await answer.json()) as { status: { token: string } };
  const claims = decodeJwt(body.status.token);
  assert.equal(claims.iss, "https://issuer.example");
  assert.deepEqual(claims.aud, ["api", "other"]);
});
