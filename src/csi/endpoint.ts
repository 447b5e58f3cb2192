// CSI endpoints are unix sockets (spec.md "RPC Interface": the CO talks to the plugin over a unix domain socket).
// We accept only `unix:///absolute/path`, the form every CSI sidecar and csi-sanity use.
import { isAbsolute } from "node:path";

export class EndpointError extends Error {
  override name = "EndpointError";
}

/** "unix:///run/csi/csi.sock" → "/run/csi/csi.sock"; anything else → EndpointError saying what to write. */
export function socketPathOf(endpoint: string): string {
  const match = /^unix:\/\/(\/.*)$/.exec(endpoint);
  if (!match || !isAbsolute(match[1]) || match[1].length < 2) {
    throw new EndpointError(
      `invalid CSI endpoint ${JSON.stringify(endpoint)}: want unix:///absolute/path/csi.sock (only unix sockets are supported)`,
    );
  }
  return match[1];
}
