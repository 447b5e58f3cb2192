// `stowage csi hostpath|block --endpoint unix://… --node-id … --state-dir …`: runs one of stowage's CSI drivers
// in the foreground until SIGINT/SIGTERM.
import { InvalidArgumentError, type Command } from "commander";
import { resolve } from "node:path";
import { Quantity, QuantityError } from "../api/quantity.js";
import { EndpointError, socketPathOf } from "../csi/endpoint.js";
import type { DriverOptions, StartDriver } from "../csi/drivers/options.js";

const drivers = ["hostpath", "block"] as const;
type DriverName = (typeof drivers)[number];

async function loadDriver(name: DriverName): Promise<StartDriver> {
  if (name === "hostpath") return (await import("../csi/drivers/hostpath/index.js")).startDriver;
  // The block driver is built separately (src/csi/drivers/block/); say so plainly until it exists.
  // A variable specifier keeps tsc from requiring the module at build time.
  const blockModule = "../csi/drivers/block/index.js";
  try {
    const loaded = (await import(blockModule)) as { startDriver?: StartDriver };
    if (typeof loaded.startDriver === "function") return loaded.startDriver;
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === "ERR_MODULE_NOT_FOUND";
    if (!missing || !String((err as Error).message).includes("drivers/block/index")) throw err;
  }
  throw new DriverUnavailableError("block driver: not built yet");
}

class DriverUnavailableError extends Error {}

function parseEndpoint(text: string): string {
  try {
    socketPathOf(text);
    return text;
  } catch (err) {
    if (err instanceof EndpointError) throw new InvalidArgumentError(err.message);
    throw err;
  }
}

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
    .requiredOption("--endpoint <unix-socket>", "where to serve CSI, e.g. unix:///run/stowage/csi.sock", parseEndpoint)
    .requiredOption("--node-id <name>", "this node's id (reported by NodeGetInfo)")
    .requiredOption("--state-dir <dir>", "where the driver keeps its state and volumes")
    .option("--capacity <bytes>", "total capacity the driver may provision, e.g. 100Gi", parseBytes)
    .option("--max-volumes-per-node <n>", "NodeGetInfo max_volumes_per_node (0: no limit)", parseCount)
    .option("--driver-name <name>", "override the driver's name (GetPluginInfo)")
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
        },
      ) => {
        let startDriver: StartDriver;
        try {
          startDriver = await loadDriver(driver);
        } catch (err) {
          if (!(err instanceof DriverUnavailableError)) throw err;
          process.stderr.write(`${err.message}\n`);
          process.exit(1);
        }
        const options: DriverOptions = {
          endpoint: flags.endpoint,
          nodeId: flags.nodeId,
          stateDir: resolve(flags.stateDir),
          ...(flags.capacity !== undefined ? { capacity: flags.capacity } : {}),
          ...(flags.maxVolumesPerNode !== undefined ? { maxVolumesPerNode: flags.maxVolumesPerNode } : {}),
          ...(flags.driverName !== undefined ? { driverName: flags.driverName } : {}),
        };
        const running = await startDriver(options);
        await new Promise<void>((done) => {
          const stop = (signal: string) => {
            process.stderr.write(`${driver}: ${signal}: stopping\n`);
            running.stop().then(done, done);
          };
          process.once("SIGINT", () => stop("SIGINT"));
          process.once("SIGTERM", () => stop("SIGTERM"));
        });
      },
    );
}
