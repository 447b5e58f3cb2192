// `stowage dashboard [--data-dir .stowage] [--duration 1h]`: the dashboard's URL and a login token for the admin,
// the way Kubernetes Dashboard's docs make one: a ServiceAccount bound to cluster-admin, and a TokenRequest for it
// (`kubectl create token`), so the browser is one more client the apiserver authenticates and authorizes.
import type { Command } from "commander";
import { existsSync } from "node:fs";
import type { ClusterRoleBinding } from "../api/rbac/types.js";
import type { ServiceAccount } from "../api/core/serviceaccount.js";
import {
  createClient,
  createServiceAccountToken,
  httpTransport,
  isAlreadyExists,
  loadKubeconfig,
  type IssuedToken,
  type ResourceDescriptor,
} from "../client/index.js";
import { durationFlag } from "./flags.js";
import { kubeconfigFile } from "./kubeconfig.js";

/** The admin's ServiceAccount for the dashboard, and its binding to cluster-admin. */
export const dashboardAdmin = { namespace: "kube-system", name: "stowage-dashboard-admin" } as const;

const clusterRoleBindings: ResourceDescriptor<ClusterRoleBinding, false> = {
  group: "rbac.authorization.k8s.io",
  version: "v1",
  kind: "ClusterRoleBinding",
  plural: "clusterrolebindings",
  namespaced: false,
};

export interface DashboardLogin {
  url: string;
  token: IssuedToken;
}

/** Makes (once) the admin's ServiceAccount and binding, then issues a token for it: as the kubeconfig's user. */
export async function dashboardLogin(kubeconfig: string, expirationSeconds = 3600): Promise<DashboardLogin> {
  const config = loadKubeconfig(kubeconfig);
  const transport = httpTransport(config);
  try {
    const client = createClient(transport);
    const account: ServiceAccount = {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { ...dashboardAdmin },
    };
    await client.serviceAccounts.create(account).catch(ignoreAlreadyExists);
    const binding: ClusterRoleBinding = {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: dashboardAdmin.name },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
      subjects: [{ kind: "ServiceAccount", ...dashboardAdmin }],
    };
    await client.resource(clusterRoleBindings).create(binding).catch(ignoreAlreadyExists);
    const token = await createServiceAccountToken(client, dashboardAdmin.namespace, dashboardAdmin.name, {
      expirationSeconds,
    });
    return { url: `${config.server.replace(/\/+$/, "")}/dashboard/`, token };
  } finally {
    transport.close();
  }
}

function ignoreAlreadyExists(err: unknown): undefined {
  if (isAlreadyExists(err)) return undefined;
  throw err;
}

export function registerDashboard(program: Command): void {
  program
    .command("dashboard")
    .description("print the dashboard's URL and a login token for the admin (a cluster-admin ServiceAccount's)")
    .option("--data-dir <dir>", "the data dir of a running `stowage up`", ".stowage")
    .option("--duration <duration>", "how long the token is valid (as kubectl create token --duration)", durationFlag)
    .action(async (flags: { dataDir: string; duration?: number }) => {
      const file = kubeconfigFile(flags.dataDir);
      if (!existsSync(file)) {
        program.error(`error: no kubeconfig at ${file}: run \`stowage up --data-dir ${flags.dataDir}\` first`, {
          exitCode: 1,
        });
      }
      try {
        const seconds = flags.duration === undefined ? undefined : Math.round(flags.duration / 1000);
        const login = await dashboardLogin(file, seconds);
        console.log(`Dashboard: ${login.url}`);
        console.log(`Sign in with this token (valid until ${login.token.expirationTimestamp.toISOString()}):`);
        console.log(login.token.token);
      } catch (err) {
        program.error(`error: stowage dashboard: ${(err as Error).message}`, { exitCode: 1 });
      }
    });
}
