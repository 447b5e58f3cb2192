// `stowage csi-snapshotter --csi-address unix://… --kubeconfig <file>`: external-snapshotter's csi-snapshotter
// sidecar for one CSI driver against a (possibly remote) apiserver: VolumeSnapshotContents of the driver →
// CreateSnapshot / ListSnapshots → content status; deleted Delete-policy contents → DeleteSnapshot.
// Upstream's snapshot-controller (VolumeSnapshot → VolumeSnapshotContent) is a separate deployment; `stowage up`
// runs it in-process, and `--snapshot-controller` runs it here too for a cluster that has none.
import { InvalidArgumentError, type Command } from "commander";
import { createClient, httpTransport, loadKubeconfig, type Kubeconfig } from "../client/index.js";
import { startSnapshotController } from "../controllers/snapshot/controller.js";
import { CsiClient } from "../csi/client.js";
import { EndpointError, socketPathOf } from "../csi/endpoint.js";
import { startSnapshotter } from "../csi/sidecars/snapshotter/controller.js";

function parseEndpoint(text: string): string {
  try {
    socketPathOf(text);
    return text;
  } catch (err) {
    if (err instanceof EndpointError) throw new InvalidArgumentError(err.message);
    throw err;
  }
}

/** Go-style durations as upstream's flags take them: "10s", "500ms", "2m". */
function duration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text);
  if (!match) throw new InvalidArgumentError(`"${text}" is not a duration: want e.g. 10s, 500ms or 2m`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] as "ms" | "s" | "m" | "h"];
  return Number(match[1]) * unit;
}

interface Flags {
  csiAddress: string;
  kubeconfig: string;
  timeout?: number;
  resyncPeriod?: number;
  snapshotController?: boolean;
}

export function registerCsiSnapshotter(program: Command): void {
  program
    .command("csi-snapshotter")
    .description("take and delete snapshots through a CSI driver for VolumeSnapshotContents that name it")
    .requiredOption(
      "--csi-address <unix-socket>",
      "the CSI driver's endpoint, e.g. unix:///run/csi/csi.sock",
      parseEndpoint,
    )
    .requiredOption("--kubeconfig <file>", "kubeconfig of the apiserver to connect to")
    .option("--timeout <duration>", "deadline of each CreateSnapshot/DeleteSnapshot call (default: 1m)", duration)
    .option("--resync-period <duration>", "how often every content is revisited (default: 1m)", duration)
    .option("--snapshot-controller", "also run the snapshot controller (VolumeSnapshot → VolumeSnapshotContent)")
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
        const client = createClient(transport, { userAgent: "stowage-csi-snapshotter" });
        const sidecar = await startSnapshotter({
          client,
          csi,
          signal: abort.signal,
          timeoutMs: flags.timeout ?? 60_000,
          resyncPeriodMs: flags.resyncPeriod ?? 60_000,
        });
        const controller = flags.snapshotController
          ? await startSnapshotController({ client, signal: abort.signal, resyncPeriodMs: flags.resyncPeriod })
          : undefined;
        console.log(`stowage csi-snapshotter for ${sidecar.driverName} running against ${kubeconfig.server}`);
        await new Promise<void>((resolve) => abort.signal.addEventListener("abort", () => resolve(), { once: true }));
        await controller?.stop();
        await sidecar.stop();
      } catch (err) {
        program.error(`error: ${(err as Error).message}`, { exitCode: 1 });
      } finally {
        csi.close();
        transport.close();
      }
    });
}
