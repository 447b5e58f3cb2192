// What the CSI sidecar commands (csi-provisioner, csi-attacher, csi-resizer, csi-snapshotter) share: upstream's
// flag forms, and one lifecycle — load the kubeconfig, connect to the driver, run until SIGINT/SIGTERM, stop.
import { sidecarMetrics } from "../csi/sidecars/common/metrics.js";
import type { Command } from "commander";
import { LeaderElector, createClient, httpTransport, type Client } from "../client/index.js";
import { CsiClient } from "../csi/client.js";
import { csiEndpointFlag, durationFlag, kubeconfigFlag } from "./flags.js";
import {
  addSidecarLeaderFlags,
  sidecarIdentity,
  sidecarLeaseName,
  sidecarLeaseNamespace,
  type SidecarLeaderFlags,
} from "./sidecarleader.js";
import { serveMetrics, type MetricsServer } from "./metricsserver.js";

export interface SidecarFlags extends Partial<SidecarLeaderFlags> {
  csiAddress: string;
  kubeconfig: string;
  httpEndpoint?: string;
  metricsPath: string;
}

/** Declares the two flags every sidecar requires, and upstream's leader election flags. */
export function sidecarCommand(program: Command, name: string, description: string): Command {
  const command = program
    .command(name)
    .description(description)
    .requiredOption(
      "--csi-address <unix-socket>",
      "the CSI driver's endpoint, e.g. unix:///run/csi/csi.sock",
      csiEndpointFlag,
    )
    .requiredOption("--kubeconfig <file>", "kubeconfig of the apiserver to connect to")
    .option(
      "--http-endpoint <address>",
      "where the HTTP server for diagnostics (metrics) listens, e.g. :8080 or 127.0.0.1:8080 (default: no server)",
    )
    .option("--metrics-path <path>", "the path metrics are served at on --http-endpoint", "/metrics");
  return addSidecarLeaderFlags(command);
}

/** upstream's --retry-interval-start/--retry-interval-max: the per-key backoff after a failed `what`. */
export function retryIntervalOptions(command: Command, what: string): Command {
  return command
    .option("--retry-interval-start <duration>", `first retry delay after a failed ${what} (default: 1s)`, durationFlag)
    .option(
      "--retry-interval-max <duration>",
      "longest retry delay after repeated failures (default: 5m)",
      durationFlag,
    );
}

export interface RunningSidecar {
  driverName: string;
  stop(): Promise<void>;
}

/**
 * Runs one sidecar against a remote apiserver until SIGINT/SIGTERM. A bad kubeconfig exits 2; an unreachable
 * driver or a start refusal (the driver lacks a capability) exits 1 with its message.
 */
export async function runSidecar(
  program: Command,
  name: string,
  flags: SidecarFlags,
  start: (sidecar: { client: Client; csi: CsiClient; signal: AbortSignal }) => Promise<RunningSidecar>,
): Promise<void> {
  const kubeconfig = kubeconfigFlag(program, flags.kubeconfig);
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const transport = httpTransport(kubeconfig);
  let csi: CsiClient;
  const metrics = sidecarMetrics();
  try {
    csi = await CsiClient.connect(flags.csiAddress, { signal: abort.signal, observe: metrics.observe });
    metrics.driverName = (await csi.pluginInfo()).name;
  } catch (err) {
    transport.close();
    program.error(`error: --csi-address: ${(err as Error).message}`, { exitCode: 1 });
  }
  let metricsServer: MetricsServer | undefined;
  try {
    const client = createClient(transport, { userAgent: `stowage-${name}` });
    if (flags.httpEndpoint) metricsServer = await serveMetrics(flags.httpEndpoint, flags.metricsPath);
    if (metricsServer) console.log(`metrics at ${metricsServer.url}`);
    if (flags.leaderElection === false) {
      const sidecar = await start({ client, csi, signal: abort.signal });
      console.log(`stowage ${name} for ${sidecar.driverName} running against ${kubeconfig.server}`);
      await new Promise<void>((resolve) => abort.signal.addEventListener("abort", () => resolve(), { once: true }));
      await sidecar.stop();
    } else {
      await runElected(name, flags, { client, csi, signal: abort.signal }, kubeconfig.server, start);
    }
  } catch (err) {
    program.error(`error: ${(err as Error).message}`, { exitCode: 1 });
  } finally {
    await metricsServer?.close();
    csi.close();
    transport.close();
  }
}

/**
 * Works only while holding the sidecar's Lease. Losing it exits the process (status 1) as upstream's sidecars do:
 * a leader that cannot renew must stop calling the driver at once, and a fresh start campaigns again.
 */
async function runElected(
  name: string,
  flags: SidecarFlags,
  sidecar: { client: Client; csi: CsiClient; signal: AbortSignal },
  server: string,
  start: (sidecar: { client: Client; csi: CsiClient; signal: AbortSignal }) => Promise<RunningSidecar>,
): Promise<void> {
  const driver = (await sidecar.csi.pluginInfo()).name;
  const lease = { namespace: sidecarLeaseNamespace(flags as SidecarLeaderFlags), name: sidecarLeaseName(name, driver) };
  console.log(
    `stowage ${name} for ${driver} running against ${server} (leader election on: Lease ${lease.namespace}/${lease.name})`,
  );
  let running: RunningSidecar | undefined;
  await new LeaderElector({
    leases: sidecar.client.leases,
    ...lease,
    identity: sidecarIdentity(),
    leaseDurationMs: flags.leaderElectionLeaseDuration,
    renewDeadlineMs: flags.leaderElectionRenewDeadline,
    retryPeriodMs: flags.leaderElectionRetryPeriod,
    async onStartedLeading(leadership) {
      running = await start({ ...sidecar, signal: leadership });
    },
    onStoppedLeading() {
      if (sidecar.signal.aborted) return;
      console.error(`stowage ${name}: stopped leading (Lease ${lease.namespace}/${lease.name}); exiting`);
      process.exit(1);
    },
  }).run(sidecar.signal);
  await running?.stop();
}
