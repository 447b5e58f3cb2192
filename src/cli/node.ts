// `stowage node --kubeconfig <file> --node-name <n> --root-dir <dir> --tls-cert-file <f> --tls-private-key-file <f>
// --client-ca-file <f> [--kubelet-address <host[:port]>] [--runtime none|process] [--csi-driver unix://…]`: the node
// agent (the kubelet's storage half) against a possibly remote apiserver. Its kubelet API (logs, exec) serves
// HTTPS only, to the apiserver's kubelet client certificate only: without the TLS flags it does not start. `stowage up` runs the same agent
// in-process (src/cli/storage.ts calls startNodeAgent for each of its nodes).
import { InvalidArgumentError, type Command } from "commander";
import { untilStopSignal } from "./signals.js";
import { resolve } from "node:path";
import { createClient, httpTransport } from "../client/index.js";
import { EndpointError, socketPathOf } from "../csi/endpoint.js";
import { startNodeAgent, type Runtime } from "../node/agent.js";
import { runtimeNames } from "../node/runtime/runtime.js";
import { durationFlag, kubeconfigFlag } from "./flags.js";
import { containerLogFlags, logRotationOf, type ContainerLogFlags } from "./containerlogflags.js";
import { kubeletServingTlsFromFlags, type KubeletServingFlags } from "./kubeletflags.js";
import { KubeletAddressError, kubeletListenAddress } from "../node/server/address.js";

const userAgent = "stowage-node";
export function parseRuntime(text: string): Runtime {
  const runtime = runtimeNames.find((name) => name === text);
  if (!runtime) throw new InvalidArgumentError(`unknown runtime ${JSON.stringify(text)}: want none or process`);
  return runtime;
}

/** The --runtime help text `node` and `up` share. */
export const runtimeHelp =
  "none: pods are Running once their volumes are mounted; process: each container's command runs as a process " +
  "in its own mount namespace (the host's root as an overlay, the pod's volumes at their mountPaths; images are " +
  "not pulled)";

function collectEndpoint(text: string, previous: string[] | undefined): string[] {
  try {
    socketPathOf(text);
  } catch (err) {
    if (err instanceof EndpointError) throw new InvalidArgumentError(err.message);
    throw err;
  }
  return [...(previous ?? []), text];
}

function parseNodeName(text: string): string {
  // A Node's name is a DNS subdomain (RFC 1123): lower case alphanumerics, '-' and '.'.
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(text) || text.length > 253) {
    throw new InvalidArgumentError(
      `${JSON.stringify(text)} is not a valid node name: use lower case letters, digits, '-' and '.'`,
    );
  }
  return text;
}

function parseKubeletAddress(text: string): string {
  try {
    kubeletListenAddress(text);
  } catch (err) {
    if (err instanceof KubeletAddressError) throw new InvalidArgumentError(err.message);
    throw err;
  }
  return text;
}

interface Flags extends KubeletServingFlags, ContainerLogFlags {
  kubeletAddress?: string;
  kubeconfig: string;
  nodeName: string;
  rootDir: string;
  runtime: Runtime;
  csiDriver?: string[];
  fenceAfter: number;
}

export function registerNode(program: Command): void {
  const command = program
    .command("node")
    .description("run the node agent: registers the Node and mounts the volumes of the pods bound to it")
    .requiredOption("--kubeconfig <file>", "kubeconfig of the apiserver to connect to")
    .requiredOption("--node-name <name>", "the name of this node's Node object", parseNodeName)
    .requiredOption("--root-dir <dir>", "the agent's state directory (the kubelet's --root-dir: pods/, plugins/)")
    .option("--runtime <runtime>", runtimeHelp, parseRuntime, "none")
    .option(
      "--csi-driver <endpoint>",
      "a CSI driver on this node, e.g. unix:///run/stowage/csi.sock (repeatable)",
      collectEndpoint,
    )
    .option("--tls-cert-file <file>", "the kubelet API's serving certificate (PEM; for the node's InternalIP, name)")
    .option("--tls-private-key-file <file>", "the serving certificate's private key (PEM)")
    .option(
      "--client-ca-file <file>",
      "the CA of the apiserver's kubelet client certificate; only that certificate (CN " +
        "kube-apiserver-kubelet-client or group system:masters) is answered",
    )
    .option(
      "--kubelet-address <host[:port]>",
      "where the kubelet API listens (default: the node's InternalIP, any free port); a single IP becomes the " +
        "Node's InternalIP, e.g. 127.0.0.1 when the apiserver runs on this machine",
      parseKubeletAddress,
    )
    .option(
      "--fence-after <duration>",
      "how long the node Lease may go unrenewed before this node fences itself: containers using ReadWriteOnce " +
        "volumes stopped, those volumes released (shorter than the controller-manager's --node-fence-grace; 0 off)",
      durationFlag,
      10_000,
    );
  containerLogFlags(command).action(async (flags: Flags) => {
    const kubeconfig = kubeconfigFlag(program, flags.kubeconfig);
    let kubeletTls;
    try {
      kubeletTls = kubeletServingTlsFromFlags(flags);
    } catch (err) {
      program.error(`error: stowage node: ${(err as Error).message}`, { exitCode: 2 });
    }
    const transport = httpTransport(kubeconfig);
    const client = createClient(transport, { userAgent });
    const abort = new AbortController();
    let agent;
    try {
      agent = await startNodeAgent({
        client,
        nodeName: flags.nodeName,
        rootDir: resolve(flags.rootDir),
        signal: abort.signal,
        csiDrivers: flags.csiDriver ?? [],
        runtime: flags.runtime,
        containerLogRotation: logRotationOf(flags),
        kubeletTls,
        kubeletAddress: flags.kubeletAddress,
        fenceAfterMs: flags.fenceAfter,
      });
    } catch (err) {
      transport.close();
      program.error(`error: stowage node: ${(err as Error).message}`, { exitCode: 1 });
    }
    console.log(
      `stowage node ${flags.nodeName} running against ${kubeconfig.server} (root dir ${resolve(flags.rootDir)})`,
    );
    await untilStopSignal(() => {
      abort.abort();
      return agent.stop().finally(() => transport.close());
    });
  });
}
