// `stowage csi-provisioner --csi-address unix://… --kubeconfig <file>`: external-provisioner's job for one CSI
// driver against a (possibly remote) apiserver: claims annotated for the driver → CreateVolume → PV; Released
// Delete-policy PVs → DeleteVolume. `stowage up` can run the same loops in-process through startProvisioner.
import { InvalidArgumentError, type Command } from "commander";
import { createClient, httpTransport, inProcessTransport, loadKubeconfig, type Kubeconfig } from "../client/index.js";
import { CsiClient } from "../csi/client.js";
import { EndpointError, socketPathOf } from "../csi/endpoint.js";
import { ProvisionerStartError, startProvisioner } from "../csi/sidecars/provisioner/controller.js";

import type { UpComponent } from "./up.js";

const userAgent = "stowage-csi-provisioner";

function parseEndpoint(text: string): string {
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
  workerThreads: number;
  timeout?: number;
  resyncPeriod?: number;
  extraCreateMetadata?: boolean;
  defaultFstype?: string;
  strictTopology?: boolean;
  immediateTopology: boolean;
}

export function registerCsiProvisioner(program: Command): void {
  program
    .command("csi-provisioner")
    .description("provision and delete volumes through a CSI driver for claims that name it (external-provisioner)")
    .requiredOption(
      "--csi-address <unix-socket>",
      "the CSI driver's endpoint, e.g. unix:///run/csi/csi.sock",
      parseEndpoint,
    )
    .requiredOption("--kubeconfig <file>", "kubeconfig of the apiserver to connect to")
    .option("--worker-threads <n>", "concurrent claim and volume syncs", positiveInt, 100)
    .option("--timeout <duration>", "deadline of each CreateVolume/DeleteVolume call (default: 10s)", duration)
    .option("--resync-period <duration>", "how often every claim and volume is revisited (default: 1m)", duration)
    .option("--extra-create-metadata", "pass csi.storage.k8s.io/pvc/name, pvc/namespace and pv/name to CreateVolume")
    .option("--default-fstype <type>", "fsType when the StorageClass names none")
    .option("--strict-topology", "only the selected node's topology is requisite for WaitForFirstConsumer claims")
    .option("--no-immediate-topology", "send no topology requirement for Immediate claims without allowedTopologies")
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
        const provisioner = await startProvisioner({
          client: createClient(transport, { userAgent }),
          csi,
          signal: abort.signal,
          workers: flags.workerThreads,
          timeoutMs: flags.timeout ?? 10_000,
          resyncPeriodMs: flags.resyncPeriod ?? 60_000,
          extraCreateMetadata: flags.extraCreateMetadata ?? false,
          defaultFsType: flags.defaultFstype ?? "",
          strictTopology: flags.strictTopology ?? false,
          immediateTopology: flags.immediateTopology,
        });
        console.log(`stowage csi-provisioner for ${provisioner.driverName} running against ${kubeconfig.server}`);
        await new Promise<void>((resolve) => abort.signal.addEventListener("abort", () => resolve(), { once: true }));
        await provisioner.stop();
      } catch (err) {
        if (!(err instanceof ProvisionerStartError)) throw err;
        program.error(`error: ${err.message}`, { exitCode: 1 });
      } finally {
        csi.close();
        transport.close();
      }
    });
}

/**
 * The provisioner inside `stowage up` for the CSI driver at `csiAddress` (started before it): same loops, on the
 * in-process transport. Waits for the driver's socket like the command does.
 */
export function csiProvisionerComponent(options: { csiAddress: string; workers?: number }): UpComponent {
  return {
    name: `csi-provisioner ${options.csiAddress}`,
    async start(ctx) {
      const csi = await CsiClient.connect(options.csiAddress, { signal: ctx.signal });
      try {
        const provisioner = await startProvisioner({
          client: createClient(inProcessTransport(ctx.handler), { userAgent }),
          csi,
          signal: ctx.signal,
          workers: options.workers,
          log: (message, fields) => ctx.log(`csi-provisioner: ${message} ${JSON.stringify(fields ?? {})}`),
        });
        return {
          async stop() {
            await provisioner.stop();
            csi.close();
          },
        };
      } catch (err) {
        csi.close();
        throw err;
      }
    },
  };
}
