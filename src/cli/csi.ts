// `stowage csi hostpath|block --endpoint unix://… --node-id … --state-dir … [--register <root-dir>]`: runs one of
// stowage's CSI drivers in the foreground until SIGINT/SIGTERM; with --register it also announces itself to the node
// agent the kubelet way (what node-driver-registrar does beside other drivers).
import { InvalidArgumentError, type Command } from "commander";
import { join, resolve } from "node:path";
import { Quantity, QuantityError } from "../api/quantity.js";
import { startDriver as startBlock } from "../csi/drivers/block/index.js";
import { startDriver as startHostpath } from "../csi/drivers/hostpath/index.js";
import type { DriverOptions, StartDriver } from "../csi/drivers/options.js";
import { startRegistrar } from "../node/pluginregistration/registrar.js";
import { csiEndpointFlag } from "./flags.js";

const drivers = ["hostpath", "block"] as const;
type DriverName = (typeof drivers)[number];

// Both drivers are part of stowage and imported like any module: a missing one is a build error, not a run-time one.
const startDrivers: Record<DriverName, StartDriver> = { hostpath: startHostpath, block: startBlock };

function parseBytes(text: string): number {
  try {
    const bytes = Number(Quantity.parse(text).nano / 1_000_000_000n);
    if (bytes <= 0) throw new InvalidArgumentError(`must be positive, got ${text}`);
    return bytes;
  } catch (err) {
    if (err instanceof QuantityError) throw new InvalidArgumentError(`${text}: want bytes like 10Gi or 500M`);
    throw err;
  }
}

function parseCount(text: string): number {
  if (!/^\d+$/.test(text)) throw new InvalidArgumentError(`want a whole number, got ${text}`);
  return Number(text);
}

export function registerCsi(program: Command): void {
  program
    .command("csi")
    .description("run one of stowage's CSI drivers (hostpath: directories; block: loop devices) on a unix socket")
    .argument("<driver>", `the driver to run: ${drivers.join(" | ")}`, (text: string): DriverName => {
      if (!(drivers as readonly string[]).includes(text)) {
        throw new InvalidArgumentError(`unknown driver ${JSON.stringify(text)}: want ${drivers.join(" or ")}`);
      }
      return text as DriverName;
    })
    .requiredOption(
      "--endpoint <unix-socket>",
      "where to serve CSI, e.g. unix:///run/stowage/csi.sock",
      csiEndpointFlag,
    )
    .requiredOption("--node-id <name>", "this node's id (reported by NodeGetInfo)")
    .requiredOption("--state-dir <dir>", "where the driver keeps its state and volumes")
    .option(
      "--capacity <bytes>",
      "total capacity the driver may provision and report, e.g. 100Gi (default: thin, any volume up to 1Ti)",
      parseBytes,
    )
    .option("--max-volumes-per-node <n>", "NodeGetInfo max_volumes_per_node (0: no limit)", parseCount)
    .option("--driver-name <name>", "override the driver's name (GetPluginInfo)")
    .option(
      "--register <root-dir>",
      "announce the driver to the node agent running with this --root-dir: serves the kubelet plugin registration " +
        "API at <root-dir>/plugins_registry/<driver>-reg.sock (as node-driver-registrar's --plugin-registration-path), " +
        "and exits if the agent refuses the driver",
    )
    .option(
      "--kubelet-registration-path <socket>",
      "with --register: the driver's CSI socket as the node agent reaches it (default: the --endpoint path)",
    )
    .action(
      async (
        driver: DriverName,
        flags: {
          endpoint: string;
          nodeId: string;
          stateDir: string;
          capacity?: number;
          maxVolumesPerNode?: number;
          driverName?: string;
          register?: string;
          kubeletRegistrationPath?: string;
        },
      ) => {
        const startDriver = startDrivers[driver];
        const options: DriverOptions = {
          endpoint: flags.endpoint,
          nodeId: flags.nodeId,
          stateDir: resolve(flags.stateDir),
          ...(flags.capacity !== undefined ? { capacity: flags.capacity } : {}),
          ...(flags.maxVolumesPerNode !== undefined ? { maxVolumesPerNode: flags.maxVolumesPerNode } : {}),
          ...(flags.driverName !== undefined ? { driverName: flags.driverName } : {}),
        };
        if (flags.kubeletRegistrationPath !== undefined && flags.register === undefined) {
          process.stderr.write("--kubelet-registration-path needs --register <root-dir>\n");
          process.exit(1);
        }
        // Stop requests (signals, or the agent refusing the driver) are taken from here on and acted on below.
        let requestStop: (reason: string) => void = () => undefined;
        const stopRequested = new Promise<string>((resolve) => (requestStop = resolve));
        process.once("SIGINT", () => requestStop("SIGINT"));
        process.once("SIGTERM", () => requestStop("SIGTERM"));
        const running = await startDriver(options);
        const registrar = flags.register
          ? await startRegistrar({
              csiEndpoint: flags.endpoint,
              pluginRegistrationPath: join(resolve(flags.register), "plugins_registry"),
              kubeletRegistrationPath: flags.kubeletRegistrationPath,
              onStatus: (status) => {
                if (status.plugin_registered) {
                  process.stderr.write(
                    `${driver}: registered with the node agent at ${resolve(flags.register ?? "")}\n`,
                  );
                  return;
                }
                // As node-driver-registrar: exit, so that a supervisor restarts the driver and it registers afresh.
                process.stderr.write(`${driver}: registration failed: ${status.error}\n`);
                process.exitCode = 1;
                requestStop("registration failed");
              },
            })
          : undefined;
        const reason = await stopRequested;
        process.stderr.write(`${driver}: ${reason}: stopping\n`);
        // The registration socket goes first, so the agent deregisters the driver before it stops answering.
        await registrar?.stop().catch(() => undefined);
        await running.stop().catch(() => undefined);
      },
    );
}
