// Listening and writing on node:http servers, shared by the apiserver and the node's kubelet API.
import type { EventEmitter } from "node:events";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * Listens on `address` (host:port, [v6]:port, or a bare port on 127.0.0.1; port 0 picks a free one) and resolves
 * with what was bound, e.g. 127.0.0.1:41234.
 */
export async function listenOn(server: Server, address: string): Promise<{ address: string; port: number }> {
  const colon = address.lastIndexOf(":");
  const host = colon > 0 ? address.slice(0, colon).replace(/^\[|\]$/g, "") : "127.0.0.1";
  const port = Number(colon >= 0 ? address.slice(colon + 1) : address);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`invalid listen address ${JSON.stringify(address)}: want host:port`);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const info = server.address() as AddressInfo;
  const hostText = info.family === "IPv6" ? `[${info.address}]` : info.address;
  return { address: `${hostText}:${info.port}`, port: info.port };
}

/** Waits for a slow reader's socket to drain (or close), leaving no listener behind: a long watch waits many times. */
export function drainedOrClosed(res: Pick<EventEmitter, "on" | "off">): Promise<void> {
  return new Promise<void>((resolve) => {
    const settle = () => {
      res.off("drain", settle);
      res.off("close", settle);
      resolve();
    };
    res.on("drain", settle);
    res.on("close", settle);
  });
}
