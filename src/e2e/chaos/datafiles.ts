// The StatefulSet's data: a file of random bytes written into each replica's volume where its node mounted it (as
// the pod would write it), synced, and its sha256 kept; at the end each replica's file, wherever and in whichever
// pod its claim is mounted now, must hash the same.
import { join } from "node:path";
import type { Pod } from "../../api/core/types.js";
import type { ChaosCluster } from "./cluster.js";
import { namespace, setName, setReplicas } from "./workload.js";

const fileName = "chaos.bin";

/** The replica's pod, its node and where its node mounted the replica's volume. */
async function replica(cluster: ChaosCluster, ordinal: number) {
  const pod: Pod = await cluster.client.pods.get(namespace, `${setName}-${ordinal}`);
  const claim = await cluster.client.persistentVolumeClaims.get(namespace, `data-${setName}-${ordinal}`);
  const node = cluster.nodes.find((n) => n.name === pod.spec.nodeName);
  if (!node) throw new Error(`${setName}-${ordinal} runs on ${pod.spec.nodeName}, not one of the machines`);
  const volumes = join(node.rootDir, "pods", pod.metadata.uid ?? "", "volumes", "kubernetes.io~csi");
  return { node, file: join(volumes, claim.spec.volumeName ?? "", "mount", fileName) };
}

/** Writes each replica's file; ordinal → sha256. */
export async function writeDataFiles(cluster: ChaosCluster): Promise<Map<number, string>> {
  const sums = new Map<number, string>();
  for (let ordinal = 0; ordinal < setReplicas; ordinal++) {
    const { node, file } = await replica(cluster, ordinal);
    const script = 'head -c 262144 /dev/urandom > "$1" && sync "$1" && sha256sum "$1"';
    const out = await node.machine.exec("sh", ["-c", script, "sh", file]);
    sums.set(ordinal, out.split(" ")[0]);
  }
  return sums;
}

/** Each replica's file that is missing or changed, a line each. */
export async function checkDataFiles(cluster: ChaosCluster, sums: Map<number, string>): Promise<string[]> {
  const found: string[] = [];
  for (const [ordinal, sum] of sums) {
    const { node, file } = await replica(cluster, ordinal);
    const now = await node.machine.exec("sha256sum", [file]).then(
      (out) => out.split(" ")[0],
      (err: unknown) => `unreadable (${String(err)})`,
    );
    if (now !== sum) found.push(`${setName}-${ordinal}'s data file on ${node.name}: sha256 ${now}, written ${sum}`);
  }
  return found;
}
