// `stowage up`: everything in one process on the embedded SQLite store in <data-dir>. startUp() is the wiring
// other components hook into: each UpComponent is started with the apiserver's in-process handler (for
// inProcessTransport) and stopped in reverse order. Add yours to `upComponents` below.
import { InvalidArgumentError, type Command } from "commander";
import { untilStopSignal } from "./signals.js";
import { setMaxListeners } from "node:events";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { UserInfo } from "../api/user.js";
import { inProcessTransport, type Transport } from "../client/index.js";
import { clusterAdmin, upSecurity } from "./upsecurity.js";
import { createApiServer, type ApiServer, type ApiServerOptions } from "../apiserver/server.js";
import type { Store } from "../store/store.js";
import { addEtcdFlags, openStore, parseStoreSpec, type EtcdFlags, type StoreSpec } from "./storeflags.js";
import type { Runtime } from "../node/agent.js";
import { kubeconfigFile, renderKubeconfig } from "./kubeconfig.js";
import { parseRuntime, runtimeHelp } from "./node.js";
import { containerLogFlags, logRotationOf, type ContainerLogFlags } from "./containerlogflags.js";
import { apiserverLimits, limitFlags, parseListenAddress, type LimitFlags } from "./apiserver.js";
import { stowageVersion } from "./version.js";
import { controllerManagerComponent } from "./controllermanager.js";
import { schedulerComponent } from "./scheduler.js";
import { storageComponent, type StorageOptions } from "./storage.js";
import type { UpComponent, UpContext } from "./component.js";
import { apiserverKubeletClient } from "./kubeletpki.js";
import { DataDirPki } from "./pki.js";
import { dashboardAssets, dashboardLine } from "./dashboardassets.js";

/** The in-process control plane `stowage up` runs after the apiserver, in start order. */
export const upComponents: UpComponent[] = [controllerManagerComponent, schedulerComponent];

/** Everything `stowage up` runs: the control plane, then storage (CSI drivers, default storage, sidecars, nodes). */
export function defaultUpComponents(storage: StorageOptions = {}): UpComponent[] {
  return [...upComponents, storageComponent(storage)];
}

export interface UpOptions {
  dataDir: string;
  listen: string;
  /** Extra names and addresses the serving certificate answers for (--tls-san). */
  tlsSans?: string[];
  /** Serve plain HTTP with no authentication or authorization (--insecure-http): anyone who reaches it is admin. */
  insecureHttp?: boolean;
  /** "sqlite" (default, <data-dir>/stowage.db), "memory" (tests), or an etcd cluster (--store etcd://…). */
  store?: "sqlite" | "memory" | StoreSpec;
  /** --etcd-cafile, --etcd-certfile, --etcd-keyfile, --etcd-prefix for an etcd store. */
  etcd?: Partial<EtcdFlags>;
  /** Default: defaultUpComponents(storage). Tests and benches pass their own list. */
  components?: UpComponent[];
  /** --nodes, --runtime, --no-default-storage (used when `components` is not given). */
  storage?: StorageOptions;
  compactionIntervalMs?: number;
  /** --max-requests-inflight, --max-mutating-requests-inflight, --request-timeout, --event-ttl (apiserver's). */
  apiserver?: Pick<ApiServerOptions, "limits" | "eventTtlMs">;
  /** --hostpath-reclaim-root: where Delete/Recycle may remove hostPath volumes (default /tmp, as upstream). */
  hostPathReclaimRoots?: string[];
  /** The built dashboard served at /dashboard/ (default: `npm run build`'s dist/web). */
  dashboardDir?: string;
  log?: (message: string, err?: unknown) => void;
  /** Startup output lines; default: collected in Running.said only. */
  say?: (line: string) => void;
}

export interface Running {
  url: string;
  kubeconfig: string;
  apiServer: ApiServer;
  /** An in-process transport authenticated as `user` (default: the cluster admin, as the kubeconfig's user). */
  transport(user?: UserInfo): Transport;
  /** The startup output lines the components said (what runs, what is off and why). */
  said: string[];
  stop(): Promise<void>;
}

export async function startUp(options: UpOptions): Promise<Running> {
  const dataDir = resolve(options.dataDir);
  const log =
    options.log ??
    ((message: string, err?: unknown) =>
      err === undefined ? console.error(message) : console.error(message, err instanceof Error ? err.message : err));
  mkdirSync(dataDir, { recursive: true });
  const spec: StoreSpec =
    options.store === undefined || options.store === "sqlite"
      ? { kind: "sqlite", file: join(dataDir, "stowage.db") }
      : options.store === "memory"
        ? { kind: "memory" }
        : options.store;
  const store: Store = openStore(spec, options.etcd);
  const said: string[] = [];
  const say = (line: string) => {
    said.push(line);
    options.say?.(line);
  };
  const stops: Array<{ name: string; stop(): Promise<void> }> = [];
  const controller = new AbortController();
  // Every component's informers, queues and CSI calls listen on this one signal.
  setMaxListeners(0, controller.signal);
  try {
    const secure = options.insecureHttp ? undefined : await upSecurity(dataDir, options.tlsSans);
    if (!secure) {
      say(
        `WARNING: --insecure-http: the API is served over plain HTTP with no authentication or authorization; ` +
          `anyone who can reach ${options.listen} may do anything, as root on this machine`,
      );
    }
    // The kubelet ports stay locked even with --insecure-http: their certificates come from the data dir's CA.
    const kubeletPki = secure?.pki ?? (await DataDirPki.open(dataDir));
    const dashboard = dashboardAssets(options.dashboardDir);
    const apiServer = await createApiServer({
      store,
      version: stowageVersion,
      compactionIntervalMs: options.compactionIntervalMs,
      ...options.apiserver,
      log,
      ...(secure
        ? {
            tls: secure.tls,
            security: secure.security,
            serviceAccountTokens: { signingKey: await secure.pki.serviceAccountKey() },
          }
        : {}),
      kubeletClient: await apiserverKubeletClient(kubeletPki),
      dashboard,
    });
    stops.push({ name: "apiserver", stop: () => apiServer.close() });
    const listener = await apiServer.listen(options.listen);
    const kubeconfig = kubeconfigFile(dataDir);
    writeFileSync(kubeconfig, renderKubeconfig(listener.url, secure?.admin), { mode: 0o600 });
    say(dashboardLine(listener.url, dashboard !== undefined));
    const transport = (user: UserInfo = clusterAdmin) => inProcessTransport(apiServer.handler, user);
    const ctx: UpContext = {
      dataDir,
      transport,
      pki: kubeletPki,
      hostPathReclaimRoots: options.hostPathReclaimRoots,
      url: listener.url,
      kubeconfig,
      signal: controller.signal,
      log,
      say,
    };
    for (const component of options.components ?? defaultUpComponents(options.storage)) {
      const started = await component.start(ctx);
      stops.push({ name: component.name, stop: () => started.stop() });
    }
    let stopping: Promise<void> | undefined;
    return {
      url: listener.url,
      kubeconfig,
      apiServer,
      transport,
      said,
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

function parseNodes(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1) {
    throw new InvalidArgumentError(`"${text}" is not a number of nodes: want an integer of at least 1`);
  }
  return Number(text);
}

interface UpFlags extends EtcdFlags, LimitFlags, ContainerLogFlags {
  hostpathReclaimRoot?: string[];
  store: string;
  dataDir: string;
  listen: string;
  tlsSan?: string[];
  insecureHttp?: boolean;
  nodes: number;
  runtime: Runtime;
  defaultStorage: boolean;
}

export function registerUp(program: Command): void {
  const command = program
    .command("up")
    .description(
      "run stowage in one process on the embedded SQLite store: apiserver, controller-manager, scheduler, " +
        "CSI drivers (hostpath; block as root) with their provisioner and attacher, and node agents",
    )
    .option("--data-dir <dir>", "where the SQLite store, the kubeconfig, volumes and node dirs live", ".stowage")
    .option("--listen <host:port>", "the apiserver's address", "127.0.0.1:6443")
    .option(
      "--tls-san <name>",
      "an extra DNS name or IP address for the API's serving certificate (repeatable)",
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option(
      "--insecure-http",
      "serve the API over plain HTTP with no authentication or authorization (anyone who reaches it is admin)",
    )
    .option("--nodes <n>", "how many node agents to run (stowage-node-1 …)", parseNodes, 1)
    .option("--runtime <runtime>", runtimeHelp, parseRuntime, "none")
    .option("--no-default-storage", "create no CSIDriver objects and no default StorageClasses (standard, block)")
    .option("--store <store>", "sqlite (in --data-dir) | etcd://<host:port>[,<host:port>…]", "sqlite")
    .option(
      "--hostpath-reclaim-root <dir>",
      "directory under which Delete/Recycle may remove or scrub hostPath volumes (repeatable; default /tmp)",
      (value: string, previous: string[] = []) => [...previous, value],
    );
  addEtcdFlags(limitFlags(containerLogFlags(command))).action(async (options: UpFlags) => {
    let store: StoreSpec | "sqlite" = "sqlite";
    try {
      parseListenAddress(options.listen);
    } catch (err) {
      program.error(`error: --listen: ${(err as Error).message}`, { exitCode: 2 });
    }
    try {
      if (options.store !== "sqlite") store = parseStoreSpec(options.store);
      if (store !== "sqlite" && store.kind !== "etcd") throw new Error("up keeps its SQLite store in --data-dir");
    } catch (err) {
      program.error(`error: --store: ${(err as Error).message}`, { exitCode: 2 });
    }
    let running: Running;
    try {
      running = await startUp({
        dataDir: options.dataDir,
        listen: options.listen,
        tlsSans: options.tlsSan,
        store,
        etcd: options,
        insecureHttp: options.insecureHttp,
        apiserver: apiserverLimits(options),
        hostPathReclaimRoots: options.hostpathReclaimRoot,
        storage: {
          nodes: options.nodes,
          runtime: options.runtime,
          containerLogRotation: logRotationOf(options),
          defaultStorage: options.defaultStorage,
        },
        say: (line) => console.log(line),
      });
    } catch (err) {
      program.error(`error: stowage up: ${(err as Error).message}`, { exitCode: 1 });
    }
    console.log(`stowage is running: apiserver at ${running.url}, data in ${resolve(options.dataDir)}`);
    console.log(`To use kubectl with it:\n  export KUBECONFIG=${running.kubeconfig}\n  kubectl get pv,pvc,sc`);
    console.log("Press Ctrl-C to stop.");
    await untilStopSignal(() => {
      console.log("stopping stowage… (mounted volumes stay; the next `up` on this dir picks them up)");
      return running.stop();
    });
  });
}
