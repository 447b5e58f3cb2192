// `stowage kubeconfig [--data-dir .stowage]`: print the kubeconfig `stowage up` wrote for that data dir.
import type { Command } from "commander";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { KubeconfigCredentials } from "./upsecurity.js";

export const kubeconfigFile = (dataDir: string): string => join(dataDir, "kubeconfig");

const b64 = (pem: string) => Buffer.from(pem).toString("base64");

/**
 * A kubeconfig for a stowage apiserver at `url`: over HTTPS, trusting the cluster's CA and authenticating with a
 * client certificate; without credentials (plain HTTP, `up --insecure-http`), an empty user.
 */
export function renderKubeconfig(url: string, credentials?: KubeconfigCredentials, userName = "stowage"): string {
  const cluster = credentials
    ? [`    certificate-authority-data: ${b64(credentials.certificateAuthority)}`]
    : // @kubernetes/client-node refuses http:// servers without this flag
      ["    insecure-skip-tls-verify: true"];
  const user = credentials
    ? [
        "  user:",
        `    client-certificate-data: ${b64(credentials.clientCertificate)}`,
        `    client-key-data: ${b64(credentials.clientKey)}`,
      ]
    : ["  user: {}"];
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "- name: stowage",
    "  cluster:",
    `    server: ${url}`,
    ...cluster,
    "contexts:",
    "- name: stowage",
    "  context:",
    "    cluster: stowage",
    `    user: ${userName}`,
    "    namespace: default",
    "current-context: stowage",
    "preferences: {}",
    "users:",
    `- name: ${userName}`,
    ...user,
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
