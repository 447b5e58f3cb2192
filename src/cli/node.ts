// `stowage node --kubeconfig <file> --node-name <n> --root-dir <dir> [--runtime none] [--csi-driver unix://…]`:
// the node agent (the kubelet's storage half) against a possibly remote apiserver. `stowage up` runs the same agent
// in-process (src/cli/storage.ts calls startNodeAgent for each of its nodes).
import { InvalidArgumentError, type Command } from "commander";
import { resolve } from "node:path";
import { createClient, httpTransport } from "../client/index.js";
import { EndpointError, socketPathOf } from "../csi/endpoint.js";
import { startNodeAgent, type Runtime } from "../node/agent.js";
import { kubeconfigFlag } from "./flags.js";

const userAgent = "stowage-node";
const runtimes = ["none"] as const;

function parseRuntime(text: string): Runtime {
  if (!(runtimes as readonly string[]).includes(text)) {
    throw new InvalidArgumentError(
      `unknown runtime ${JSON.stringify(text)}: want ${runtimes.join(" or ")} (runtime "process" is not built yet)`,
    );
  }
  return text as Runtime;
}

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

interface Flags {
  kubeconfig: string;
  nodeName: string;
  rootDir: string;
  runtime: Runtime;
  csiDriver?: string[];
}

export function registerNode(program: Command): void {
  program
    .command("node")
    .description("run the node agent: registers the Node and mounts the volumes of the pods bound to it")
    .requiredOption("--kubeconfig <file>", "kubeconfig of the apiserver to connect to")
    .requiredOption("--node-name <name>", "the name of this node's Node object", parseNodeName)
    .requiredOption("--root-dir <dir>", "the agent's state directory (the kubelet's --root-dir: pods/, plugins/)")
    .option("--runtime <runtime>", "none: pods run once their volumes are mounted", parseRuntime, "none")
    .option(
      "--csi-driver <endpoint>",
      "a CSI driver on this node, e.g. unix:///run/stowage/csi.sock (repeatable)",
      collectEndpoint,
    )
    .action(async (flags: Flags) => {
      const kubeconfig = kubeconfigFlag(program, flags.kubeconfig);
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
        });
      } catch (err) {
        transport.close();
        program.error(`error: stowage node: ${(err as Error).message}`, { exitCode: 1 });
      }
      console.log(
        `stowage node ${flags.nodeName} running against ${kubeconfig.server} (root dir ${resolve(flags.rootDir)})`,
      );
      await new Promise<void>((done) => {
        const stop = () => {
          process.off("SIGINT", stop);
          process.off("SIGTERM", stop);
          abort.abort();
          void agent.stop().finally(() => {
            transport.close();
            done();
          });
        };
        process.on("SIGINT", stop);
        process.on("SIGTERM", stop);
      });
    });
}
