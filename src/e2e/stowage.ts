// startStowage(t): a running stowage for one test — its own temp data dir, a free port, a kubeconfig, the real
// kubectl wired to it (own discovery cache, so parallel tests never share one) — stopped in t.after.
import { execFile, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { startUp, type Running } from "../cli/up.js";
import type { UpComponent } from "../cli/component.js";
import { unmountUnder } from "./mounts.js";
import { httpTransport, loadKubeconfig, type HttpTransport, type Transport } from "../client/index.js";

export interface StowageOptions {
  /** Reuse a data dir (to test restarts); default a fresh temp dir, removed afterwards. */
  dataDir?: string;
  store?: "sqlite" | "memory";
  components?: UpComponent[];
  compactionIntervalMs?: number;
  /** up's --hostpath-reclaim-root. */
  hostPathReclaimRoots?: string[];
  /** The built dashboard to serve at /dashboard/ (default: dist/web, if built). */
  dashboardDir?: string;
}

export class KubectlError extends Error {
  constructor(
    readonly args: string[],
    readonly code: number,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(`kubectl ${args.join(" ")} exited ${code}: ${stderr.trim() || stdout.trim()}`);
  }
}

export interface KubectlResult {
  stdout: string;
  stderr: string;
  code: number;
}

export interface Stowage {
  url: string;
  dataDir: string;
  kubeconfig: string;
  /** An in-process transport authenticated as `user` (default: the cluster admin, the kubeconfig's user). */
  transport: Running["transport"];
  /** A transport over HTTPS as the kubeconfig's user (the admin's client certificate); closed with the stowage. */
  httpsTransport(): Transport;
  running: Running;
  /** Runs kubectl; resolves with stdout, rejects with KubectlError on a non-zero exit. Stderr must stay empty unless `allowStderr`. */
  kubectl(...args: string[]): Promise<string>;
  /** Runs kubectl and returns everything, whatever the exit code. */
  kubectlResult(args: string[], options?: { input?: string; env?: Record<string, string> }): Promise<KubectlResult>;
  /** Starts a long-running kubectl (e.g. get -w); collects its output until stopped. */
  kubectlBackground(...args: string[]): { output(): string; stderr(): string; stop(): Promise<void> };
  stop(): Promise<void>;
}

export async function startStowage(t: TestContext, options: StowageOptions = {}): Promise<Stowage> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), "stowage-test-")));
  const running = await startUp({
    dataDir,
    listen: "127.0.0.1:0",
    store: options.store ?? "sqlite",
    components: options.components ?? [],
    compactionIntervalMs: options.compactionIntervalMs ?? 0,
    hostPathReclaimRoots: options.hostPathReclaimRoots,
    dashboardDir: options.dashboardDir,
    log: () => undefined,
  });
  const env = { ...process.env, KUBECONFIG: running.kubeconfig, KUBECACHEDIR: join(dataDir, "kubectl-cache") };
  const children = new Set<ChildProcess>();

  const kubectlResult = (args: string[], opts: { input?: string; env?: Record<string, string> } = {}) =>
    new Promise<KubectlResult>((resolve) => {
      const child = execFile(
        "kubectl",
        args,
        { env: { ...env, ...opts.env }, maxBuffer: 64 << 20, timeout: 60_000 },
        (err, stdout, stderr) => {
          children.delete(child);
          const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
          resolve({ stdout, stderr, code });
        },
      );
      children.add(child);
      if (opts.input !== undefined) child.stdin?.end(opts.input);
    });

  let stopped = false;
  const transports: HttpTransport[] = [];
  const stowage: Stowage = {
    url: running.url,
    dataDir,
    kubeconfig: running.kubeconfig,
    transport: running.transport,
    httpsTransport() {
      const transport = httpTransport(loadKubeconfig(running.kubeconfig));
      transports.push(transport);
      return transport;
    },
    running,
    kubectlResult,
    async kubectl(...args: string[]) {
      const result = await kubectlResult(args);
      if (result.code !== 0) throw new KubectlError(args, result.code, result.stdout, result.stderr);
      if (result.stderr.trim() !== "")
        throw new KubectlError(args, 0, result.stdout, `unexpected stderr: ${result.stderr}`);
      return result.stdout;
    },
    kubectlBackground(...args: string[]) {
      let out = "";
      let err = "";
      const child = execFile("kubectl", args, { env, maxBuffer: 64 << 20 });
      children.add(child);
      child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
      child.stderr?.on("data", (d: Buffer) => (err += d.toString()));
      const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
      return {
        output: () => out,
        stderr: () => err,
        stop: async () => {
          child.kill("SIGTERM");
          await exited;
          children.delete(child);
        },
      };
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const child of children) child.kill("SIGKILL");
      for (const transport of transports) transport.close();
      await running.stop();
    },
  };
  t.after(async () => {
    await stowage.stop();
    if (!options.dataDir) {
      // Components with real mounts (node agents, drivers) leave them for a restart; a test's dir goes entirely.
      await unmountUnder(dataDir);
      await rm(dataDir, { recursive: true, force: true });
    }
  });
  return stowage;
}

/** Polls `check` until it returns a value (not undefined) or the deadline passes. */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${String(last)}` : ""}`);
}
