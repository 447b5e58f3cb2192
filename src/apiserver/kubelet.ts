// What the apiserver needs to reach a pod's kubelet (pkg/kubelet/client GetConnectionInfo) and to name the container
// a log or exec request is for (pkg/registry/core/pod/strategy.go validateContainer), with upstream's messages.
import type { Node, Pod } from "../api/core/types.js";
import { badRequest, StatusError } from "./errors.js";

export interface KubeletLocation {
  host: string;
  port: number;
}

/**
 * --kubelet-preferred-address-types. Upstream starts with Hostname; a stowage node's Hostname address is its node
 * name, which need not resolve, so the InternalIP the agent reports comes first.
 */
const preferredAddressTypes = ["InternalIP", "ExternalIP", "Hostname", "InternalDNS", "ExternalDNS"];
/** The kubelet's port when the Node does not say (--kubelet-port). */
const defaultKubeletPort = 10250;

/** Where the node's kubelet API listens: its preferred address and status.daemonEndpoints.kubeletEndpoint.Port. */
export function kubeletLocation(node: Node): KubeletLocation {
  const addresses = node.status?.addresses ?? [];
  for (const type of preferredAddressTypes) {
    const address = addresses.find((a) => a.type === type);
    if (address) {
      const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port ?? 0;
      return { host: address.address, port: port > 0 ? port : defaultKubeletPort };
    }
  }
  const known = addresses.map((a) => `{${a.type} ${a.address}}`).join(" ");
  throw new StatusError(500, "InternalError", `no preferred addresses found; known addresses: [${known}]`);
}

/**
 * A failed connection to a kubelet as Go's net package words it ("dial tcp 10.0.0.1:10250: connect: connection
 * refused"), in an error upstream answers with reason Unknown (ErrorToAPIStatus of a plain error).
 */
export function dialError(location: KubeletLocation, err: Error & { code?: string }, prefix = ""): StatusError {
  const why: Record<string, string> = {
    ECONNREFUSED: "connect: connection refused",
    EHOSTUNREACH: "connect: no route to host",
    ENETUNREACH: "connect: network is unreachable",
    ETIMEDOUT: "i/o timeout",
    ECONNRESET: "read: connection reset by peer",
  };
  const text = (err.code && why[err.code]) ?? err.message;
  return new StatusError(500, "", `${prefix}dial tcp ${hostPort(location)}: ${text}`);
}

/**
 * Sent with every request proxied to a kubelet: the pod's UID, which stowage's kubelet API asks for in place of
 * upstream's client certificates (src/node/server/server.ts podUidHeader).
 */
export const podUidHeader = "x-stowage-pod-uid";

/** "host:port", with IPv6 hosts bracketed. */
export const hostPort = (location: KubeletLocation): string =>
  location.host.includes(":") ? `[${location.host}]:${location.port}` : `${location.host}:${location.port}`;

/** The container a request names, or the only one; refusals are upstream's 400s. */
export function podContainer(pod: Pod, container: string): string {
  const name = pod.metadata.name ?? "";
  if (container === "") {
    if (pod.spec.containers.length === 1) return pod.spec.containers[0].name;
    if (pod.spec.containers.length === 0) throw badRequest(`a container name must be specified for pod ${name}`);
    // Go's %s of a []string: "[a b]"; init containers first, as podutil.VisitContainers walks them.
    const names = [...(pod.spec.initContainers ?? []), ...pod.spec.containers].map((c) => c.name);
    throw badRequest(`a container name must be specified for pod ${name}, choose one of: [${names.join(" ")}]`);
  }
  const known = [...(pod.spec.initContainers ?? []), ...pod.spec.containers].some((c) => c.name === container);
  if (!known) throw badRequest(`container ${container} is not valid for pod ${name}`);
  return container;
}
