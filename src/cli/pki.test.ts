import assert from "node:assert/strict";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { certificateFacts } from "../support/pki.js";
import { DataDirPki } from "./pki.js";

test("a data dir's certificates are made once, kept private, reused, and re-issued for a new host", async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), "stowage-pki-"));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const pki = await DataDirPki.open(dataDir);
  const serving = await pki.certificate("apiserver", {
    commonName: "kube-apiserver",
    usage: "server",
    hosts: ["localhost"],
  });
  assert.equal((await stat(join(dataDir, "pki"))).mode & 0o777, 0o700);
  assert.equal((await stat(join(dataDir, "pki", "ca.key"))).mode & 0o777, 0o600);
  assert.equal((await stat(join(dataDir, "pki", "apiserver.key"))).mode & 0o777, 0o600);

  const again = await DataDirPki.open(dataDir);
  assert.equal(again.ca.cert, pki.ca.cert, "the CA is reused across restarts");
  assert.equal(
    (await again.certificate("apiserver", { commonName: "kube-apiserver", usage: "server", hosts: ["localhost"] }))
      .cert,
    serving.cert,
  );
  const widened = await again.certificate("apiserver", {
    commonName: "kube-apiserver",
    usage: "server",
    hosts: ["localhost", "stowage.example"],
  });
  assert.notEqual(widened.cert, serving.cert);
  assert.ok(certificateFacts(widened.cert).hosts.includes("stowage.example"));
  assert.equal(await again.serviceAccountKey(), await pki.serviceAccountKey(), "one ServiceAccount signing key");
});
