// The kubelet port's fuzzer: generated paths (container logs, exec, health, nonsense, bad %-escapes), methods
// and log options (follow, previous, tail, limits, since, timestamps, garbage) sent over HTTPS with the
// apiserver's kubelet client certificate, to a kubelet API with one pod whose container has run and ended.
// Every request gets an answer with a status code, and nothing is logged as an unexpected failure.
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { Agent, request } from "node:https";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import fc from "fast-check";
import type { Pod } from "../api/core/types.js";
import { containerLogPath, noneRuntime } from "../node/runtime/runtime.js";
import { formatCriLine } from "../node/server/crilog.js";
import { startKubeletServer } from "../node/server/server.js";
import { createKubeletTestPki } from "../node/testing/kubelettls.js";

const pod: Pod = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "web", namespace: "default", uid: "fuzz-uid" },
  spec: { nodeName: "node-1", containers: [{ name: "app", image: "busybox" }] },
  status: {
    phase: "Succeeded",
    containerStatuses: [
      {
        name: "app",
        ready: false,
        restartCount: 0,
        image: "busybox",
        imageID: "",
        state: { terminated: { exitCode: 0, startedAt: "2025-01-01T00:00:00Z", finishedAt: "2025-01-01T00:01:00Z" } },
      },
    ],
  },
};

const segment = fc.oneof(
  fc.constantFrom("default", "web", "app", "nope", "%ZZ", "%E0%A4%A", "..", "%2F", ""),
  fc.string({ maxLength: 10 }).map((s) => encodeURIComponent(s)),
);

export const kubeletRequests = fc
  .record({
    method: fc.constantFrom("GET", "GET", "GET", "POST", "PUT", "DELETE", "HEAD"),
    kind: fc.constantFrom("/containerLogs", "/exec", "/healthz", "/run", ""),
    parts: fc.array(segment, { maxLength: 5 }),
    query: fc.dictionary(
      fc.constantFrom(
        "follow",
        "previous",
        "timestamps",
        "tailLines",
        "tail",
        "limitBytes",
        "sinceSeconds",
        "sinceTime",
        "command",
        "x",
      ),
      fc.oneof(
        fc.constantFrom(
          "true",
          "false",
          "1",
          "0",
          "-1",
          "10",
          "2025-01-01T00:00:00Z",
          "not-a-time",
          "99999999999999999999",
        ),
        fc.string({ maxLength: 12 }),
      ),
      { maxKeys: 4 },
    ),
  })
  .map(({ method, kind, parts, query }) => {
    const search = new URLSearchParams(query).toString();
    return { method, path: `${kind}/${parts.join("/")}${search ? `?${search}` : ""}` };
  });

export interface KubeletFuzzWorld {
  send(req: { method: string; path: string }): Promise<number>;
  unexpected: string[];
  close(): Promise<void>;
}

export async function startKubeletFuzzWorld(): Promise<KubeletFuzzWorld> {
  const pki = await createKubeletTestPki();
  const rootDir = await mkdtemp(join(tmpdir(), "kubelet-fuzz-"));
  const log = containerLogPath(rootDir, { namespace: "default", name: "web", uid: "fuzz-uid" }, "app");
  await mkdir(dirname(log), { recursive: true });
  const lines = Array.from({ length: 50 }, (_, i) => formatCriLine(new Date(1e12 + i * 1000), "stdout", `line ${i}`));
  await writeFile(log, lines.join(""));
  const unexpected: string[] = [];
  const kubelet = await startKubeletServer({
    address: "127.0.0.1:0",
    tls: await pki.serving("node-1"),
    rootDir,
    getPod: (namespace, name) => (namespace === "default" && name === "web" ? pod : undefined),
    runtime: () => noneRuntime,
    log: (message, err) => unexpected.push(`${message}: ${String(err)}`),
  });
  const client = await pki.apiserverClient();
  const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: client.ca, cert: client.cert, key: client.key });
  const { port } = new URL(kubelet.url);
  return {
    unexpected,
    send: (req) =>
      new Promise<number>((resolve, reject) => {
        const r = request(
          { host: "127.0.0.1", port, method: req.method, path: req.path, agent, timeout: 10_000 },
          (res) => {
            res.resume();
            res.on("close", () => resolve(res.statusCode ?? 0));
          },
        );
        r.on("timeout", () => r.destroy(new Error(`no answer to ${req.method} ${req.path} within 10 s`)));
        r.on("error", reject);
        r.end();
      }),
    async close() {
      agent.destroy();
      await kubelet.close();
      await rm(rootDir, { recursive: true, force: true });
    },
  };
}

export async function checkKubeletAnswer(
  world: KubeletFuzzWorld,
  req: { method: string; path: string },
): Promise<void> {
  const status = await world.send(req);
  assert.ok(status >= 200 && status < 600, `status ${status}`);
  assert.deepEqual(world.unexpected, [], "an unexpected failure was logged");
}
