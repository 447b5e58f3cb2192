// Test helpers: a hostpath driver on a temp dir and socket, in this process or in a child process, with a
// connected client, all torn down (and checked for leftover mounts) in t.after.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { TestContext } from "node:test";
import { CsiClient } from "../../../client.js";
import { mountsUnder, unmount } from "../../../../support/mount.js";
import type { DriverOptions, RunningDriver } from "../../options.js";
import { startDriver } from "../index.js";

export const repoRoot = fileURLToPath(new URL("../../../../../", import.meta.url));

export interface TempDriverDir {
  dir: string;
  endpoint: string;
  stateDir: string;
}

/** A fresh temp dir; at t.after, fails the test if any mount is left under it (after unmounting them anyway). */
export async function tempDriverDir(t: TestContext): Promise<TempDriverDir> {
  // Short names: a unix socket path must stay under 108 bytes.
  const dir = await mkdtemp(join(tmpdir(), "hp-"));
  t.after(async () => {
    const left = await mountsUnder(dir);
    for (const mount of left.reverse()) await unmount(mount).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    if (left.length > 0) throw new Error(`mounts left behind: ${left.join(", ")}`);
  });
  return { dir, endpoint: `unix://${join(dir, "csi.sock")}`, stateDir: join(dir, "state") };
}

export interface InProcessDriver extends TempDriverDir {
  client: CsiClient;
  driver: RunningDriver;
  logs: string[];
  /** Stops the driver and starts a new one on the same state dir and socket; the client reconnects by itself. */
  restart(): Promise<void>;
}

export async function startHostpath(t: TestContext, options: Partial<DriverOptions> = {}): Promise<InProcessDriver> {
  const paths = await tempDriverDir(t);
  const logs: string[] = [];
  const driverOptions: DriverOptions = {
    endpoint: paths.endpoint,
    nodeId: "node-1",
    stateDir: paths.stateDir,
    log: (line) => logs.push(line),
    ...options,
  };
  const running: InProcessDriver = {
    ...paths,
    logs,
    driver: await startDriver(driverOptions),
    client: undefined as unknown as CsiClient,
    async restart() {
      await running.driver.stop();
      running.driver = await startDriver(driverOptions);
      await running.client.waitUntilReady(10_000);
    },
  };
  running.client = await CsiClient.connect(paths.endpoint, { readyTimeoutMs: 10_000 });
  // Registered after tempDriverDir's hook, so it runs first: the driver stops before the mount check.
  t.after(async () => {
    running.client.close();
    await running.driver.stop();
  });
  return running;
}

/** The driver as a child process (to SIGKILL it). Resolves once the driver says it is serving. */
export async function spawnHostpath(paths: TempDriverDir): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      fileURLToPath(new URL("./run-driver.ts", import.meta.url)),
      paths.endpoint,
      "node-1",
      paths.stateDir,
    ],
    { cwd: repoRoot, stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr?.setEncoding("utf8");
  const serving = new Promise<void>((resolve, reject) => {
    child.stderr?.on("data", (chunk: string) => {
      stderr += chunk;
      if (stderr.includes(" serving ")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`driver exited with ${code} before serving:\n${stderr}`)));
  });
  await serving;
  return child;
}

export async function kill(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill(signal);
  await exited;
}
