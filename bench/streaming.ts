// Streaming benchmark (not a test): exec round trips and log throughput through the apiserver and a node's kubelet
// API, with a stand-in container (src/node/server/testing/world.ts). Needs root (unshare, nsenter).
//   node --import tsx bench/streaming.ts [--execs 100] [--lines 200000]
// Prints one JSON object per figure on stdout:
//   exec: websocket upgrade through the apiserver proxy → `true` in the container → Success status → close (ms);
//   logs: GET pods/log of a CRI log file of --lines lines, through apiserver and kubelet (MB/s of output).
import { writeFile, mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import type { TestContext } from "node:test";
import { parseArgs } from "node:util";
import WebSocket from "ws";
import { containerLogPath } from "../src/node/runtime/runtime.js";
import { startStreamingWorld } from "../src/e2e/streaming.js";

const { values: args } = parseArgs({
  options: { execs: { type: "string", default: "100" }, lines: { type: "string", default: "200000" } },
});

// The world helper cleans up through a test context's after(); a bench runs the hooks itself.
const hooks: Array<() => unknown> = [];
const context = { after: (fn: () => unknown) => void hooks.push(fn) } as unknown as TestContext;

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];

async function main() {
  const world = await startStreamingWorld(context);
  const pod = await world.createPod("bench", ["app"], { running: true });

  const url = `${world.stowage.url.replace(/^http/, "ws")}/api/v1/namespaces/default/pods/bench/exec?command=true&stdout=true`;
  const times: number[] = [];
  for (let i = 0; i < Number(args.execs); i++) {
    const start = performance.now();
    await new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(url, ["v5.channel.k8s.io"]);
      ws.on("close", () => resolve());
      ws.on("error", reject);
    });
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  console.log(
    JSON.stringify({
      figure: "exec_round_trip_ms",
      n: times.length,
      p50: +percentile(times, 0.5).toFixed(2),
      p99: +percentile(times, 0.99).toFixed(2),
    }),
  );

  const path = containerLogPath(
    world.rootDir,
    { namespace: "default", name: "bench", uid: pod.metadata.uid ?? "" },
    "app",
    0,
  );
  await mkdir(dirname(path), { recursive: true });
  const line = `2026-11-23T10:00:00.123456789Z stdout F ${"x".repeat(80)}\n`;
  await writeFile(path, line.repeat(Number(args.lines)));
  const start = performance.now();
  const response = await fetch(`${world.stowage.url}/api/v1/namespaces/default/pods/bench/log`);
  const body = await response.arrayBuffer();
  const seconds = (performance.now() - start) / 1000;
  console.log(
    JSON.stringify({
      figure: "logs_throughput_mb_per_s",
      lines: Number(args.lines),
      bytes: body.byteLength,
      value: +(body.byteLength / 1e6 / seconds).toFixed(1),
    }),
  );
}

try {
  await main();
} finally {
  for (const hook of hooks.reverse()) await hook();
}
