// Flag parsers the commands share: each refuses a bad value at parse time with a message that says what to fix.
import { InvalidArgumentError, type Command } from "commander";
import { loadKubeconfig, type Kubeconfig } from "../client/index.js";
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

/** --kubeconfig: loaded once; a missing or malformed file exits 2 naming the flag and the problem. */
export function kubeconfigFlag(program: Command, file: string): Kubeconfig {
  try {
    return loadKubeconfig(file);
  } catch (err) {
    program.error(`error: --kubeconfig: ${(err as Error).message}`, { exitCode: 2 });
  }
}
