// `stowage kubeconfig [--data-dir .stowage] [--user NAME [--group G]… | --node NAME]`: print the admin kubeconfig
// `stowage up` wrote for that data dir, or issue one for another identity.
import { Option, type Command } from "commander";
import { parse } from "yaml";
import { existsSync, readFileSync } from "node:fs";
import { AllAuthenticated, nodeUserInfo } from "../api/user.js";
import { loadKubeconfig } from "../client/index.js";
import { DataDirPki } from "./pki.js";
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

interface KubeconfigFlags {
  dataDir: string;
  user?: string;
  group?: string[];
  node?: string;
  output: "yaml" | "json";
}

/** The kubeconfig as kubectl config view -o json prints one: the same fields, as JSON. */
const inFormat = (kubeconfig: string, output: KubeconfigFlags["output"]) =>
  output === "json" ? `${JSON.stringify(parse(kubeconfig), null, 2)}\n` : kubeconfig;

/**
 * A kubeconfig for a new identity: the same server and CA as the admin's, a fresh client certificate signed by the
 * data dir's CA (CN = user, O = groups; a node is system:node:<name> in system:nodes). Not kept: whoever asked
 * hands it on, as kubeadm's `kubeconfig user` does.
 */
async function issuedKubeconfig(flags: KubeconfigFlags, adminFile: string): Promise<string> {
  const admin = loadKubeconfig(adminFile);
  if (!admin.certificateAuthority) {
    throw new Error(`${adminFile} has no cluster CA: this data dir serves plain HTTP (up --insecure-http)`);
  }
  const identity = flags.node ? nodeUserInfo(flags.node) : { name: flags.user ?? "", groups: flags.group ?? [] };
  // system:authenticated is added by the apiserver to every authenticated user; it is not a certificate group
  const groups = identity.groups.filter((g) => g !== AllAuthenticated);
  const pki = await DataDirPki.open(flags.dataDir);
  const issued = await pki.issueClient(identity.name, groups);
  const credentials = {
    certificateAuthority: admin.certificateAuthority.toString(),
    clientCertificate: issued.cert,
    clientKey: issued.key,
  };
  return renderKubeconfig(admin.server, credentials, identity.name);
}

export function registerKubeconfig(program: Command): void {
  program
    .command("kubeconfig")
    .description(
      "print the kubeconfig that `stowage up` wrote for its data dir, or (--user/--node) one with a fresh client " +
        "certificate for another identity",
    )
    .option("--data-dir <dir>", "the data dir of `stowage up`", ".stowage")
    .option("--user <name>", "issue a client certificate for this user (its CN)")
    .option("--group <group>", "a group of that user (its O; repeatable)", (value: string, previous: string[] = []) => [
      ...previous,
      value,
    ])
    .option("--node <name>", "issue a client certificate for this node (system:node:<name> in system:nodes)")
    .addOption(
      new Option("-o, --output <format>", "yaml, or json as kubectl config view -o json")
        .choices(["yaml", "json"])
        .default("yaml"),
    )
    .action(async (flags: KubeconfigFlags) => {
      const file = kubeconfigFile(flags.dataDir);
      if (!existsSync(file)) {
        program.error(`error: no kubeconfig at ${file}: run \`stowage up --data-dir ${flags.dataDir}\` first`, {
          exitCode: 1,
        });
      }
      if (flags.user !== undefined && flags.node !== undefined) {
        program.error("error: --user and --node name two identities: give one", { exitCode: 2 });
      }
      if (flags.group && flags.user === undefined) {
        program.error("error: --group needs --user (a node's groups are fixed: system:nodes)", { exitCode: 2 });
      }
      if (flags.user !== undefined && !flags.user.trim()) {
        program.error("error: --user: a user name cannot be empty", { exitCode: 2 });
      }
      if (flags.user === undefined && flags.node === undefined) {
        process.stdout.write(inFormat(readFileSync(file, "utf8"), flags.output));
        return;
      }
      try {
        process.stdout.write(inFormat(await issuedKubeconfig(flags, file), flags.output));
      } catch (err) {
        program.error(`error: stowage kubeconfig: ${(err as Error).message}`, { exitCode: 1 });
      }
    });
}
