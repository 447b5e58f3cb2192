// What the apiserver needs to reach a pod's kubelet (pkg/kubelet/client GetConnectionInfo, KubeletClientConfig) and
// to name the container a log or exec request is for (pkg/registry/core/pod/strategy.go validateContainer), with
// upstream's messages. Kubelets are reached over HTTPS only: the apiserver presents its kubelet client certificate
// and checks the kubelet's serving certificate.
import { isIP } from "node:net";
import type { ConnectionOptions } from "node:tls";
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

/** Go's x509.HostnameError: the names the certificate is valid for, and the one that was dialed. */
function hostnameError(host: string, subjectAltName = ""): string {
  const names = subjectAltName.split(", ").filter(Boolean);
  const of = (type: string) => names.filter((n) => n.startsWith(`${type}:`)).map((n) => n.slice(type.length + 1));
  if (isIP(host)) {
    const ips = of("IP Address");
    if (ips.length === 0) return `x509: cannot validate certificate for ${host} because it doesn't contain any IP SANs`;
    return `x509: certificate is valid for ${ips.join(", ")}, not ${host}`;
  }
  const dns = of("DNS");
  if (dns.length === 0) return `x509: certificate is not valid for any names, but wanted to match ${host}`;
  return `x509: certificate is valid for ${dns.join(", ")}, not ${host}`;
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
  const untrusted = certificateError(location, err);
  if (untrusted) return new StatusError(500, "", `${prefix}${untrusted}`);
  const text = (err.code && why[err.code]) ?? err.message;
  return new StatusError(500, "", `${prefix}dial tcp ${hostPort(location)}: ${text}`);
}

/** kube-apiserver's kubelet client flags, read (PEM). */
export interface KubeletClientTls {
  /** --kubelet-client-certificate and --kubelet-client-key: who the apiserver is to kubelets. */
  cert?: string;
  key?: string;
  /**
   * --kubelet-certificate-authority: the CA kubelets' serving certificates must chain to. Without it upstream
   * skips the check; stowage checks against the system's roots instead, so a stranger's port is never trusted.
   */
  ca?: string;
}

/** The TLS options for a connection to the kubelet at `location`. */
export function kubeletTlsOptions(client: KubeletClientTls, location: KubeletLocation): ConnectionOptions {
  return {
    host: location.host,
    port: location.port,
    // SNI is for names only (RFC 6066); an IP address is still checked against the certificate's IP SANs.
    ...(isIP(location.host) ? {} : { servername: location.host }),
    minVersion: "TLSv1.2",
    ...(client.cert && client.key ? { cert: client.cert, key: client.key } : {}),
    ...(client.ca ? { ca: client.ca } : {}),
  };
}

/** How Go's crypto/tls and crypto/x509 word a kubelet certificate the apiserver cannot trust. */
const tlsFailures: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: "x509: certificate signed by unknown authority",
  SELF_SIGNED_CERT_IN_CHAIN: "x509: certificate signed by unknown authority",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "x509: certificate signed by unknown authority",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "x509: certificate signed by unknown authority",
  CERT_HAS_EXPIRED: "x509: certificate has expired or is not yet valid",
  CERT_NOT_YET_VALID: "x509: certificate has expired or is not yet valid",
};

/**
 * A kubelet whose serving certificate does not verify: `tls: failed to verify certificate: x509: …`, as the
 * apiserver's Go client says it; undefined for errors that are not about the certificate.
 */
export function certificateError(
  location: KubeletLocation,
  err: Error & { code?: string; cert?: { subjectaltname?: string } },
): string | undefined {
  if (err.code === "ERR_TLS_CERT_ALTNAME_INVALID")
    return `tls: failed to verify certificate: ${hostnameError(location.host, err.cert?.subjectaltname)}`;
  const reason = err.code && tlsFailures[err.code];
  return reason ? `tls: failed to verify certificate: ${reason}` : undefined;
}

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
