// `stowage csi-resizer --csi-address unix://… --kubeconfig <file>`: external-resizer's job for one CSI driver
// against a (possibly remote) apiserver: bound claims on the driver's PVs whose storage request grew →
// ControllerExpandVolume → PV capacity, claim conditions and events. `stowage up` runs the same loop in-process
// through startResizer.
import { InvalidArgumentError, type Command } from "commander";
import { createClient, httpTransport, loadKubeconfig, type Kubeconfig } from "../client/index.js";
import { CsiClient } from "../csi/client.js";
import { EndpointError, socketPathOf } from "../csi/endpoint.js";
import { ResizerStartError, startResizer } from "../csi/sidecars/resizer/controller.js";

const userAgent = "stowage-csi-resizer";

function endpoint(text: string): string {
  try {
    socketPathOf(text);
    return text;
  } catch (err) {
    if (err instanceof EndpointError) throw new InvalidArgumentError(err.message);
    throw err;
  }
}

function positiveInt(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new InvalidArgumentError(`"${text}" is not a positive integer`);
  return Number(text);
}

/** Go-style durations as upstream's flags take them: "10s", "500ms", "1m". */
function duration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text);
  if (!match) throw new InvalidArgumentError(`"${text}" is not a duration: want e.g. 10s, 500ms or 1m`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] as "ms" | "s" | "m" | "h"];
  return Number(match[1]) * unit;
}

interface Flags {
  csiAddress: string;
  kubeconfig: string;
  workers: number;
  timeout?: number;
  resync?: number;
  retryIntervalStart?: number;
  retryIntervalMax?: number;
}

export function registerCsiResizer(program: Command): void {
  program
    .command("csi-resizer")
    .description("expand volumes through a CSI driver when their claims ask for more storage (external-resizer)")
    .requiredOption("--csi-address <unix-socket>", "the CSI driver's endpoint, e.g. unix:///run/csi/csi.sock", endpoint)
    .requiredOption("--kubeconfig <file>", "kubeconfig of the apiserver to connect to")
    .option("--workers <n>", "concurrent claim syncs", positiveInt, 10)
    .option("--timeout <duration>", "deadline of each ControllerExpandVolume call (default: 10s)", duration)
    .option("--resync <duration>", "how often every claim is revisited (default: 1m)", duration)
    .option("--retry-interval-start <duration>", "first retry delay after a failed expansion (default: 1s)", duration)
    .option("--retry-interval-max <duration>", "longest retry delay after repeated failures (default: 5m)", duration)
    .action(async (flags: Flags) => {
      let kubeconfig: Kubeconfig;
      try {
        kubeconfig = loadKubeconfig(flags.kubeconfig);
      } catch (err) {
        program.error(`error: --kubeconfig: ${(err as Error).message}`, { exitCode: 2 });
      }
      const abort = new AbortController();
      const onSignal = () => abort.abort();
      process.once("SIGINT", onSignal);
      process.once("SIGTERM", onSignal);
      const transport = httpTransport(kubeconfig);
      let csi: CsiClient;
      try {
        csi = await CsiClient.connect(flags.csiAddress, { signal: abort.signal });
      } catch (err) {
        transport.close();
        program.error(`error: --csi-address: ${(err as Error).message}`, { exitCode: 1 });
      }
      try {
        const resizer = await startResizer({
          client: createClient(transport, { userAgent }),
          csi,
          signal: abort.signal,
          workers: flags.workers,
          timeoutMs: flags.timeout,
          resyncPeriodMs: flags.resync,
          retryIntervalStartMs: flags.retryIntervalStart,
          retryIntervalMaxMs: flags.retryIntervalMax,
        });
        console.log(`stowage csi-resizer for ${resizer.driverName} running against ${kubeconfig.server}`);
        await new Promise<void>((resolve) => abort.signal.addEventListener("abort", () => resolve(), { once: true }));
        await resizer.stop();
      } catch (err) {
        if (!(err instanceof ResizerStartError)) throw err;
        program.error(`error: ${err.message}`, { exitCode: 1 });
      } finally {
        csi.close();
        transport.close();
      }
    });
}
