// The kubelet port's /healthz as the kubelet's: ping, log and syncloop, verbose on request or on failure, and a
// failing syncloop when the agent's once-a-second loop has stopped.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { noneRuntime } from "../runtime/runtime.js";
import { createKubeletTestPki } from "../testing/kubelettls.js";
import { startKubeletServer } from "./server.js";

test("/healthz lists ping, log and syncloop, and fails when the sync loop has stopped", async (t) => {
  const pki = await createKubeletTestPki();
  const rootDir = await mkdtemp(join(tmpdir(), "kubelet-healthz-"));
  let lastSyncLoop = Date.now();
  const kubelet = await startKubeletServer({
    address: "127.0.0.1:0",
    tls: await pki.serving("node-1"),
    rootDir,
    getPod: () => undefined,
    runtime: () => noneRuntime,
    log: () => undefined,
    lastSyncLoop: () => lastSyncLoop,
  });
  t.after(async () => {
    await kubelet.close();
    await rm(rootDir, { recursive: true, force: true });
  });
  const client = await pki.apiserverClient();
  const get = (path: string) =>
    new Promise<string>((resolve, reject) => {
      const req = request(`${kubelet.url}${path}`, { ...client, agent: false }, (res) => {
        let body = "";
        res.on("data", (chunk: Buffer) => (body += chunk.toString()));
        res.on("end", () => resolve(`${res.statusCode} ${body}`));
      });
      req.on("error", reject);
      req.end();
    });
  assert.equal(await get("/healthz"), "200 ok");
  assert.equal(await get("/healthz?verbose"), "200 [+]ping ok\n[+]log ok\n[+]syncloop ok\nhealthz check passed\n");
  assert.equal(await get("/healthz/syncloop"), "200 ok");
  lastSyncLoop = Date.now() - 60_000;
  assert.equal(
    await get("/healthz"),
    "500 [+]ping ok\n[+]log ok\n[-]syncloop failed: reason withheld\nhealthz check failed\n",
  );
  assert.match(await get("/healthz/syncloop"), /^500 internal server error: sync Loop took longer than expected/);
  assert.equal((await get("/healthz/nope")).slice(0, 3), "404");
});
