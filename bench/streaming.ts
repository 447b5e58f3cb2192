// Streaming benchmark (not a test): exec round trips and log throughput through the apiserver and a node's kubelet
// API, with a stand-in container (src/node/server/testing/world.ts). Needs root (unshare, nsenter).
//   node --import tsx bench/streaming.ts [--execs 100] [--lines 200000] [--quick]
// Prints figure lines (bench/lib/figure.ts), checked first:
//   exec: websocket upgrade through the apiserver proxy → `true` in the container → Success status → close (ms);
//     every round trip must have ended with the Success status on the error channel (3), else no figure;
//   logs: GET pods/log of a CRI log file of --lines lines, through apiserver and kubelet (MB/s of output); the body
//     must be exactly the lines' messages, byte for byte.
import { writeFile, mkdir } from "node:fs/promises";
import { get } from "node:https";
import { dirname } from "node:path";
import type { TestContext } from "node:test";
import { parseArgs } from "node:util";
import WebSocket from "ws";
import { containerLogPath } from "../src/node/runtime/runtime.js";
import { startStreamingWorld } from "../src/e2e/streaming.js";
import { dataDirClient } from "../src/e2e/kubelettls.js";
import { CheckFailed, openBench } from "./lib/bench.js";

const { values: args } = parseArgs({
  options: {
    execs: { type: "string", default: "100" },
    lines: { type: "string", default: "200000" },
    quick: { type: "boolean", default: false },
  },
});
const execs = args.quick ? 10 : Number(args.execs);
const lines = args.quick ? 20_000 : Number(args.lines);
const bench = openBench();

// The world helper cleans up through a test context's after(); a bench runs the hooks itself.
const hooks: Array<() => unknown> = [];
const context = { after: (fn: () => unknown) => void hooks.push(fn) } as unknown as TestContext;

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];

async function main() {
  const world = await startStreamingWorld(context);
  // The admin's credentials, as kubectl presents them: security is on, the apiserver answers nobody else.
  const tls = await dataDirClient(world.stowage.dataDir, "kubernetes-admin", ["system:masters"]);
  const credentials = { ca: tls.ca, cert: tls.cert, key: tls.key };
  const pod = await world.createPod("bench", ["app"], { running: true });

  const url = `${world.stowage.url.replace(/^http/, "ws")}/api/v1/namespaces/default/pods/bench/exec?command=true&stdout=true`;
  const times: number[] = [];
  for (let i = 0; i < execs; i++) {
    const start = performance.now();
    const status = await new Promise<string>((resolve, reject) => {
      const ws = new WebSocket(url, ["v5.channel.k8s.io"], credentials);
      let said = "";
      // v5.channel.k8s.io: the first byte of each message is its channel; 3 carries the final Status.
      ws.on("message", (data: Buffer) => {
        if (data[0] === 3) said += data.subarray(1).toString();
      });
      ws.on("close", () => resolve(said));
      ws.on("error", reject);
    });
    times.push(performance.now() - start);
    if ((JSON.parse(status || "{}") as { status?: string }).status !== "Success") {
      throw new CheckFailed(`exec ${i + 1}: ended without the Success status: ${status || "(nothing on channel 3)"}`);
    }
  }
  times.sort((a, b) => a - b);
  const detail = { n: times.length, p50: +percentile(times, 0.5).toFixed(2) };
  bench.figure({ figure: "streaming.exec_round_trip_p99_ms", value: percentile(times, 0.99), unit: "ms", detail });

  const path = containerLogPath(
    world.rootDir,
    { namespace: "default", name: "bench", uid: pod.metadata.uid ?? "" },
    "app",
    0,
  );
  await mkdir(dirname(path), { recursive: true });
  const message = "x".repeat(80);
  const line = `2026-11-23T10:00:00.123456789Z stdout F ${message}\n`;
  await writeFile(path, line.repeat(lines));
  const start = performance.now();
  const response = await new Promise<{ status: number; body: Buffer }>((resolve, reject) => {
    get(`${world.stowage.url}/api/v1/namespaces/default/pods/bench/log`, credentials, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    }).on("error", reject);
  });
  const body = response.body;
  const seconds = (performance.now() - start) / 1000;
  if (response.status !== 200 || body.toString() !== `${message}\n`.repeat(lines)) {
    throw new CheckFailed(`logs: ${response.status}, ${body.byteLength} bytes, not the ${lines} lines written`);
  }
  const value = body.byteLength / 1e6 / seconds;
  const logs = { lines, bytes: body.byteLength };
  bench.figure({ figure: "streaming.logs_throughput_mb_per_s", value, unit: "MB/s", detail: logs });
}

try {
  await main();
} finally {
  for (const hook of hooks.reverse()) await hook();
}
bench.finish();
