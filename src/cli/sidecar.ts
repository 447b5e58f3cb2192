// What the CSI sidecar commands (csi-provisioner, csi-attacher, csi-resizer, csi-snapshotter) share: upstream's
// flag forms, and one lifecycle — load the kubeconfig, connect to the driver, run until SIGINT/SIGTERM, stop.
import { InvalidArgumentError, type Command } from "commander";
import { createClient, httpTransport, loadKubeconfig, type Client, type Kubeconfig } from "../client/index.js";
import { CsiClient } from "../csi/client.js";
import { EndpointError, socketPathOf } from "../csi/endpoint.js";

/** --csi-address: only unix:///absolute/path, refused at parse time with the endpoint's own message. */
export function csiEndpointFlag(text: string): string {
  try {
    socketPathOf(text);
    return text;
  } catch (err) {
    if (err instanceof EndpointError) throw new InvalidArgumentError(err.message);
    throw err;
  }
}

export function positiveIntFlag(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new InvalidArgumentError(`"${text}" is not a positive integer`);
  return Number(text);
}

/** Go-style durations as upstream's sidecar flags take them: "10s", "500ms", "1m"; "0" means zero (disabled). */
export function durationFlag(text: string): number {
  if (text === "0") return 0;
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text);
  if (!match) throw new InvalidArgumentError(`"${text}" is not a duration: want e.g. 10s, 500ms or 1m`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] as "ms" | "s" | "m" | "h"];
  return Number(match[1]) * unit;
}

export interface SidecarFlags {
  csiAddress: string;
  kubeconfig: string;
}

/** Declares the two flags every sidecar requires. */
export function sidecarCommand(program: Command, name: string, description: string): Command {
  return program
    .command(name)
    .description(description)
    .requiredOption(
      "--csi-address <unix-socket>",
      "the CSI driver's endpoint, e.g. unix:///run/csi/csi.sock",
      csiEndpointFlag,
    )
    .requiredOption("--kubeconfig <file>", "kubeconfig of the apiserver to connect to");
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
  start: (client: Client, csi: CsiClient, signal: AbortSignal) => Promise<RunningSidecar>,
): Promise<void> {
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
    const sidecar = await start(createClient(transport, { userAgent: `stowage-${name}` }), csi, abort.signal);
    console.log(`stowage ${name} for ${sidecar.driverName} running against ${kubeconfig.server}`);
    await new Promise<void>((resolve) => abort.signal.addEventListener("abort", () => resolve(), { once: true }));
    await sidecar.stop();
  } catch (err) {
    program.error(`error: ${(err as Error).message}`, { exitCode: 1 });
  } finally {
    csi.close();
    transport.close();
  }
}
