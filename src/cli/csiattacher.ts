// `stowage csi-attacher --csi-address unix://… --kubeconfig <file>`: external-attacher's job for one CSI driver
// against a (possibly remote) apiserver: VolumeAttachments naming the driver → ControllerPublishVolume →
// status.attached; deleted ones → ControllerUnpublishVolume → finalizer removed. `stowage up` runs the same
// loops in-process through startAttacher.
import { InvalidArgumentError, type Command } from "commander";
import { createClient, httpTransport, loadKubeconfig, type Kubeconfig } from "../client/index.js";
import { CsiClient } from "../csi/client.js";
import { EndpointError, socketPathOf } from "../csi/endpoint.js";
import { AttacherStartError, startAttacher } from "../csi/sidecars/attacher/controller.js";

const userAgent = "stowage-csi-attacher";

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

/** Go-style durations as upstream's flags take them: "15s", "500ms", "1m"; "0" (or "0s") disables. */
function duration(text: string): number {
  if (text === "0") return 0;
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text);
  if (!match) throw new InvalidArgumentError(`"${text}" is not a duration: want e.g. 15s, 500ms or 1m`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] as "ms" | "s" | "m" | "h"];
  return Number(match[1]) * unit;
}

interface Flags {
  csiAddress: string;
  kubeconfig: string;
  workerThreads: number;
  timeout?: number;
  resync?: number;
  reconcileSync?: number;
  defaultFstype?: string;
  retryIntervalStart?: number;
  retryIntervalMax?: number;
}

export function registerCsiAttacher(program: Command): void {
  program
    .command("csi-attacher")
    .description("attach and detach volumes through a CSI driver for its VolumeAttachments (external-attacher)")
    .requiredOption("--csi-address <unix-socket>", "the CSI driver's endpoint, e.g. unix:///run/csi/csi.sock", endpoint)
    .requiredOption("--kubeconfig <file>", "kubeconfig of the apiserver to connect to")
    .option("--worker-threads <n>", "concurrent VolumeAttachment and PV syncs", positiveInt, 10)
    .option(
      "--timeout <duration>",
      "deadline of each ControllerPublish/ControllerUnpublish call (default: 15s)",
      duration,
    )
    .option("--resync <duration>", "how often every VolumeAttachment is revisited (default: 1m)", duration)
    .option(
      "--reconcile-sync <duration>",
      "how often attachments are checked against the driver's ListVolumes; 0 disables (default: 1m)",
      duration,
    )
    .option("--default-fstype <type>", "fsType for PVs that name none")
    .option(
      "--retry-interval-start <duration>",
      "first retry delay after a failed attach or detach (default: 1s)",
      duration,
    )
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
        const attacher = await startAttacher({
          client: createClient(transport, { userAgent }),
          csi,
          signal: abort.signal,
          workers: flags.workerThreads,
          timeoutMs: flags.timeout ?? 15_000,
          resyncPeriodMs: flags.resync ?? 60_000,
          reconcilePeriodMs: flags.reconcileSync ?? 60_000,
          defaultFsType: flags.defaultFstype ?? "",
          retryIntervalStartMs: flags.retryIntervalStart,
          retryIntervalMaxMs: flags.retryIntervalMax,
        });
        console.log(`stowage csi-attacher for ${attacher.driverName} running against ${kubeconfig.server}`);
        await new Promise<void>((resolve) => abort.signal.addEventListener("abort", () => resolve(), { once: true }));
        await attacher.stop();
      } catch (err) {
        if (!(err instanceof AttacherStartError)) throw err;
        program.error(`error: ${err.message}`, { exitCode: 1 });
      } finally {
        csi.close();
        transport.close();
      }
    });
}
