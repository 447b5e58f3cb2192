// Where the kubelet API listens (--kubelet-address, the kubelet's --address and --port in one): "host" or
// "host:port", IPv6 bracketed with a port. Without a port (or port 0) any free one is taken, which the Node
// publishes in status.daemonEndpoints. A single address also becomes the Node's InternalIP, the address the
// apiserver dials: a kubelet bound to 127.0.0.1 is reached there, not at an address it does not listen on.
import { isIP } from "node:net";

export class KubeletAddressError extends Error {}

export interface KubeletListenAddress {
  /** "host:port" for listenOn; undefined: the Node's InternalIP, any port. */
  address?: string;
  /** The Node's InternalIP when the kubelet listens on one IP address only. */
  nodeIP?: string;
}

const wildcards = new Set(["0.0.0.0", "::", "[::]"]);

export function kubeletListenAddress(text: string | undefined): KubeletListenAddress {
  if (text === undefined) return {};
  let host = text;
  let port = "0";
  const bracketed = /^\[([^\]]+)\](?::(\d*))?$/.exec(text);
  if (bracketed) [host, port] = [bracketed[1], bracketed[2] || "0"];
  else if (isIP(text) !== 6 && text.includes(":"))
    [host, port] = [text.slice(0, text.lastIndexOf(":")), text.slice(text.lastIndexOf(":") + 1)];
  if (host === "" || !/^\d+$/.test(port) || Number(port) > 65535)
    throw new KubeletAddressError(
      `kubelet address ${JSON.stringify(text)}: want an IP address or host, optionally with :port (0-65535)`,
    );
  const listenHost = isIP(host) === 6 ? `[${host}]` : host;
  return {
    address: `${listenHost}:${Number(port)}`,
    nodeIP: isIP(host) && !wildcards.has(host) ? host : undefined,
  };
}
