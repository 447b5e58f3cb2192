// `stowage up`: everything in one process on the embedded SQLite store in <data-dir>. startUp() is the wiring
// other components hook into: each UpComponent is started with the apiserver's in-process handler (for
// inProcessTransport) and stopped in reverse order. Add yours to `upComponents` below.
import type { Command } from "commander";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { ApiHandler } from "../api/http.js";
import { createApiServer, type ApiServer } from "../apiserver/server.js";
import { MemoryStore } from "../store/memory.js";
import { SqliteStore } from "../store/sqlite.js";
import type { Store } from "../store/store.js";
import { kubeconfigFile, renderKubeconfig } from "./kubeconfig.js";
import { parseListenAddress } from "./apiserver.js";
import { stowageVersion } from "./version.js";
import { controllerManagerComponent } from "./controllermanager.js";
import { schedulerComponent } from "./scheduler.js";

export interface UpContext {
  dataDir: string;
  /** The apiserver's handler: give it to inProcessTransport() for a client without sockets. */
  handler: ApiHandler;
  /** http://host:port of the apiserver, and a kubeconfig pointing at it (for components that speak HTTP). */
  url: string;
  kubeconfig: string;
  /** Aborted when stowage stops. */
  signal: AbortSignal;
  log(message: string, err?: unknown): void;
}

export interface UpComponent {
  name: string;
  start(ctx: UpContext): Promise<{ stop(): Promise<void> }>;
}

/** The in-process components `stowage up` runs, in start order (controller-manager, CSI drivers, node agent…). */
export const upComponents: UpComponent[] = [controllerManagerComponent, schedulerComponent];

export interface UpOptions {
  dataDir: string;
  listen: string;
  /** "sqlite" (default, <data-dir>/stowage.db) or "memory" (tests). */
  store?: "sqlite" | "memory";
  components?: UpComponent[];
  compactionIntervalMs?: number;
  log?: (message: string, err?: unknown) => void;
}

export interface Running {
  url: string;
  kubeconfig: string;
  apiServer: ApiServer;
  handler: ApiHandler;
  stop(): Promise<void>;
}

export async function startUp(options: UpOptions): Promise<Running> {
  const dataDir = resolve(options.dataDir);
  const log =
    options.log ??
    ((message: string, err?: unknown) => console.error(message, err instanceof Error ? err.message : (err ?? "")));
  mkdirSync(dataDir, { recursive: true });
  const store: Store = options.store === "memory" ? new MemoryStore() : SqliteStore.open(join(dataDir, "stowage.db"));
  const stops: Array<{ name: string; stop(): Promise<void> }> = [];
  const controller = new AbortController();
  try {
    const apiServer = await createApiServer({
      store,
      version: stowageVersion,
      compactionIntervalMs: options.compactionIntervalMs,
      log,
    });
    stops.push({ name: "apiserver", stop: () => apiServer.close() });
    const listener = await apiServer.listen(options.listen);
    const kubeconfig = kubeconfigFile(dataDir);
    writeFileSync(kubeconfig, renderKubeconfig(listener.url), { mode: 0o600 });
    const ctx: UpContext = {
      dataDir,
      handler: apiServer.handler,
      url: listener.url,
      kubeconfig,
      signal: controller.signal,
      log,
    };
    for (const component of options.components ?? upComponents) {
      const started = await component.start(ctx);
      stops.push({ name: component.name, stop: () => started.stop() });
    }
    let stopping: Promise<void> | undefined;
    return {
      url: listener.url,
      kubeconfig,
      apiServer,
      handler: apiServer.handler,
      stop: () =>
        (stopping ??= (async () => {
          controller.abort();
          for (const s of stops.reverse()) {
            try {
              await s.stop();
            } catch (err) {
              log(`stopping ${s.name} failed`, err);
            }
          }
          await store.close();
        })()),
    };
  } catch (err) {
    controller.abort();
    for (const s of stops.reverse()) await s.stop().catch(() => undefined);
    await store.close().catch(() => undefined);
    throw err;
  }
}

export function registerUp(program: Command): void {
  program
    .command("up")
    .description("run stowage (apiserver and every component) in one process on the embedded SQLite store")
    .option("--data-dir <dir>", "where the SQLite store and the kubeconfig live", ".stowage")
    .option("--listen <host:port>", "the apiserver's address", "127.0.0.1:6443")
    .action(async (options: { dataDir: string; listen: string }) => {
      try {
        parseListenAddress(options.listen);
      } catch (err) {
        program.error(`error: --listen: ${(err as Error).message}`, { exitCode: 2 });
      }
      let running: Running;
      try {
        running = await startUp({ dataDir: options.dataDir, listen: options.listen });
      } catch (err) {
        program.error(`error: stowage up: ${(err as Error).message}`, { exitCode: 1 });
      }
      console.log(`stowage is running: apiserver at ${running.url}, data in ${resolve(options.dataDir)}`);
      console.log(`To use kubectl with it:\n  export KUBECONFIG=${running.kubeconfig}\n  kubectl get pv,pvc,sc`);
      console.log("Press Ctrl-C to stop.");
      await new Promise<void>((done) => {
        const stop = () => {
          process.off("SIGINT", stop);
          process.off("SIGTERM", stop);
          console.log("stopping stowage…");
          void running.stop().then(done, (err) => {
            console.error(err);
            done();
          });
        };
        process.on("SIGINT", stop);
        process.on("SIGTERM", stop);
      });
    });
}
