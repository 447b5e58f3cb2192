// `stowage kubeconfig [--data-dir .stowage]`: print the kubeconfig `stowage up` wrote for that data dir.
import type { Command } from "commander";
import { readFileSync } from "node:fs";
import { join } from "node:path";

export const kubeconfigFile = (dataDir: string): string => join(dataDir, "kubeconfig");

/** A kubeconfig for a stowage apiserver at `url` (plain HTTP on loopback: no credentials yet). */
export function renderKubeconfig(url: string): string {
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "- name: stowage",
    "  cluster:",
    `    server: ${url}`,
    // plain HTTP on loopback for now; @kubernetes/client-node refuses http:// servers without this flag
    "    insecure-skip-tls-verify: true",
    "contexts:",
    "- name: stowage",
    "  context:",
    "    cluster: stowage",
    "    user: stowage",
    "    namespace: default",
    "current-context: stowage",
    "preferences: {}",
    "users:",
    "- name: stowage",
    "  user: {}",
    "",
  ].join("\n");
}

export function registerKubeconfig(program: Command): void {
  program
    .command("kubeconfig")
    .description("print the kubeconfig that `stowage up` wrote for its data dir")
    .option("--data-dir <dir>", "the data dir of `stowage up`", ".stowage")
    .action((options: { dataDir: string }) => {
      const file = kubeconfigFile(options.dataDir);
      let text: string;
      try {
        text = readFileSync(file, "utf8");
      } catch {
        program.error(`error: no kubeconfig at ${file}: run \`stowage up --data-dir ${options.dataDir}\` first`, {
          exitCode: 1,
        });
      }
      process.stdout.write(text);
    });
}
