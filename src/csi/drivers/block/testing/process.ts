// The block driver as a child process (testing/run-driver.ts), for tests that kill it or run it unprivileged.
import { spawn, type ChildProcess } from "node:child_process";
import { chmod } from "node:fs/promises";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { fileURLToPath } from "node:url";
import { CsiClient } from "../../../client.js";

const script = fileURLToPath(new URL("./run-driver.ts", import.meta.url));

export interface DriverProcess {
  child: ChildProcess;
  client: CsiClient;
  /** Resolves with the signal that ended the process (null for a normal exit). */
  exited: Promise<NodeJS.Signals | null>;
  stderr(): string;
}

/**
 * Starts the driver on `<dir>/csi.sock` with state in `<dir>/state` and resolves once it serves. `unprivileged`
 * runs it as nobody with every capability dropped (setpriv), as a driver started without root would be.
 * The process is killed in t.after if still running.
 */
export async function spawnDriver(
  t: TestContext,
  dir: string,
  options: { env?: Record<string, string>; unprivileged?: boolean } = {},
): Promise<DriverProcess> {
  const endpoint = `unix://${join(dir, "csi.sock")}`;
  const args = ["--import", "tsx", script, endpoint, "node-1", join(dir, "state")];
  let command = process.execPath;
  if (options.unprivileged) {
    await chmod(dir, 0o777);
    args.unshift(
      "--reuid=nobody",
      "--regid=nogroup",
      "--clear-groups",
      "--inh-caps=-all",
      "--bounding-set=-all",
      command,
    );
    command = "setpriv";
  }
  const child = spawn(command, args, {
    env: { ...process.env, ...options.env, ...(options.unprivileged ? { HOME: dir } : {}) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    return exited;
  });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes("ready")) resolve();
    });
    child.on("exit", () => reject(new Error(`driver exited before it was ready:\n${stderr}`)));
  });
  const client = await CsiClient.connect(endpoint, { readyTimeoutMs: 10_000, callTimeoutMs: 10_000 });
  t.after(() => client.close());
  return { child, client, exited, stderr: () => stderr };
}
