// `stowage explain <kind>/<name> [-n ns] [-o json]` (also `kubectl stowage explain …`): lists what can move or
// stop the object through the API, hands the snapshot to the pure analysis (src/api/explain) and prints its verdict.
// Flags as kubectl's: --kubeconfig, then $KUBECONFIG, then the data dir's kubeconfig; --context; -n, else the
// context's namespace, else default.
import { Option, type Command } from "commander";
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";
import type { ClusterObjects } from "../api/explain/cluster.js";
import { explain, ExplainError, parseTarget, type Target } from "../api/explain/explain.js";
import type { Explanation } from "../api/explain/verdict.js";
import type { KubeObject } from "../api/meta.js";
import {
  createClient,
  httpTransport,
  isForbidden,
  isNotFound,
  loadKubeconfig,
  type Client,
  type Kubeconfig,
  type ObjectList,
} from "../client/index.js";
import { kubeconfigFile } from "./kubeconfig.js";

interface ExplainFlags {
  namespace?: string;
  output: "text" | "json";
  kubeconfig?: string;
  context?: string;
  dataDir: string;
}

/** kubectl's order: --kubeconfig, the first existing file of $KUBECONFIG, else ours (`up`'s data dir), ~/.kube/config. */
export function kubeconfigPath(flags: Pick<ExplainFlags, "kubeconfig" | "dataDir">, env = process.env): string {
  if (flags.kubeconfig) return flags.kubeconfig;
  const fromEnv = (env.KUBECONFIG ?? "").split(delimiter).filter((p) => p !== "");
  const existing = fromEnv.find((p) => existsSync(p));
  if (existing) return existing;
  if (fromEnv.length > 0) return fromEnv[0];
  const ours = kubeconfigFile(flags.dataDir);
  return existsSync(ours) ? ours : join(homedir(), ".kube", "config");
}

/** A list a user may not read, or a kind the server does not serve (no snapshot CRDs), counts as empty. */
async function tolerant<T extends KubeObject>(list: Promise<ObjectList<T>>): Promise<T[]> {
  try {
    return (await list).items;
  } catch (err) {
    if (isForbidden(err) || isNotFound(err)) return [];
    throw err;
  }
}

/** Everything explain may read about one object's namespace, listed once. */
export async function gatherCluster(client: Client, namespace: string): Promise<ClusterObjects> {
  const inNamespace = { namespace };
  const [claims, volumes, pods, nodes, storageClasses, csiDrivers, csiNodes, capacities] = await Promise.all([
    tolerant(client.persistentVolumeClaims.listAll(inNamespace)),
    tolerant(client.persistentVolumes.listAll()),
    tolerant(client.pods.listAll(inNamespace)),
    tolerant(client.nodes.listAll()),
    tolerant(client.storageClasses.listAll()),
    tolerant(client.csiDrivers.listAll()),
    tolerant(client.csiNodes.listAll()),
    tolerant(client.csiStorageCapacities.listAll()),
  ]);
  const [volumeAttachments, leases, events, volumeSnapshots, volumeSnapshotContents, volumeSnapshotClasses] =
    await Promise.all([
      tolerant(client.volumeAttachments.listAll()),
      tolerant(client.leases.listAll()),
      tolerant(client.events.listAll(inNamespace)),
      tolerant(client.volumeSnapshots.listAll(inNamespace)),
      tolerant(client.volumeSnapshotContents.listAll()),
      tolerant(client.volumeSnapshotClasses.listAll()),
    ]);
  const statefulSets = await tolerant(client.statefulSets.listAll(inNamespace));
  return {
    claims,
    volumes,
    pods,
    nodes,
    storageClasses,
    csiDrivers,
    csiNodes,
    capacities,
    volumeAttachments,
    leases,
    events,
    volumeSnapshots,
    volumeSnapshotContents,
    volumeSnapshotClasses,
    statefulSets,
    now: new Date(),
  };
}

/** A cluster-scoped object's claims and events live in a namespace too: the PV's claim's, else default. */
async function namespaceFor(client: Client, target: Target): Promise<string> {
  if (target.namespace !== undefined) return target.namespace;
  if (target.kind === "PersistentVolume") {
    const volume = await client.persistentVolumes.get(target.name).catch(() => undefined);
    return volume?.spec.claimRef?.namespace ?? "default";
  }
  return "default";
}

const marks = { done: "ok     ", blocked: "BLOCKED", waiting: "waiting", later: "-      " } as const;

/** The verdict for a terminal: where it stands, what blocks it and what to do first; then the chain and evidence. */
export function renderExplanation(e: Explanation): string {
  const lines: string[] = [];
  const name = e.namespace ? `${e.namespace}/${e.name}` : e.name;
  lines.push(`${e.kind} ${name}: ${e.state}`);
  if (e.blocking) {
    const how = e.chain.some((l) => l.step === e.blocking?.step && l.state === "waiting") ? "Waiting at" : "Blocked at";
    lines.push(`${how} ${e.blocking.step}: ${e.blocking.reason}`, `  ${e.blocking.message}`, `Fix: ${e.blocking.fix}`);
  } else {
    lines.push("Nothing blocks it.");
  }
  lines.push("", "Chain:");
  const width = Math.max(...e.chain.map((l) => l.step.length), 4);
  for (const link of e.chain) lines.push(`  ${marks[link.state]}  ${link.step.padEnd(width)}  ${link.message}`);
  if (e.evidence.length > 0) {
    lines.push("", "Evidence:");
    for (const item of e.evidence) {
      lines.push(`  ${item.kind} ${item.namespace ? `${item.namespace}/` : ""}${item.name}: ${item.says}`);
    }
  }
  if (e.candidates) {
    lines.push("", `Candidate volumes (${e.candidates.length}):`);
    const nameWidth = Math.max(4, ...e.candidates.map((c) => c.name.length));
    const reasonWidth = Math.max(6, ...e.candidates.map((c) => c.reason.length));
    for (const c of e.candidates)
      lines.push(`  ${c.name.padEnd(nameWidth)}  ${c.reason.padEnd(reasonWidth)}  ${c.message}`);
  }
  return `${lines.join("\n")}\n`;
}

export async function explainWith(client: Client, target: Target): Promise<Explanation> {
  const cluster = await gatherCluster(client, await namespaceFor(client, target));
  return explain(cluster, target);
}

export function registerExplain(program: Command): void {
  program
    .command("explain")
    .description(
      "why an object waits: the step of the storage flow that blocks it, the evidence and what to do " +
        "(pvc, pod, pv, volumeattachment, volumesnapshot, statefulset)",
    )
    .argument("<target...>", "<kind>/<name> (or <kind> <name>), e.g. pvc/data, pod/web-0, sts/web")
    .option("-n, --namespace <namespace>", "the object's namespace (default: the context's, else default)")
    .addOption(
      new Option("-o, --output <format>", "text, or json (a stable shape)").choices(["text", "json"]).default("text"),
    )
    .option(
      "--kubeconfig <file>",
      "kubeconfig to use (default: $KUBECONFIG, else <data-dir>/kubeconfig, else ~/.kube/config)",
    )
    .option("--context <name>", "the kubeconfig context to use")
    .option(
      "--data-dir <dir>",
      "the data dir of `stowage up` whose kubeconfig to use when no other is given",
      ".stowage",
    )
    .action(async (args: string[], flags: ExplainFlags) => {
      let kubeconfig: Kubeconfig;
      let target: Target;
      try {
        kubeconfig = loadKubeconfig(kubeconfigPath(flags), { context: flags.context });
        target = parseTarget(args, flags.namespace ?? kubeconfig.namespace ?? "default");
      } catch (err) {
        program.error(`error: ${(err as Error).message}`, { exitCode: 1 });
      }
      const transport = httpTransport(kubeconfig);
      try {
        const explanation = await explainWith(createClient(transport, { userAgent: "stowage-explain" }), target);
        process.stdout.write(
          flags.output === "json" ? `${JSON.stringify(explanation, null, 2)}\n` : renderExplanation(explanation),
        );
      } catch (err) {
        if (err instanceof ExplainError) program.error(`Error from server (NotFound): ${err.message}`, { exitCode: 1 });
        program.error(`error: ${(err as Error).message}`, { exitCode: 1 });
      } finally {
        transport.close();
      }
    });
}
