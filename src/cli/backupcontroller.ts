// The backup controller (src/backup) in `stowage up`: its own loop beside the controller-manager's, as its
// kube-system ServiceAccount backup-controller (RBAC role system:controller:backup-controller).
import { createClient, createInformerFactory, execInPod, loadKubeconfig, type Kubeconfig } from "../client/index.js";
import { AllAuthenticated, serviceAccountUserInfo } from "../api/user.js";
import { startBackupController } from "../backup/controller.js";
import type { PodExecutor } from "../backup/hooks.js";
import type { UpComponent, UpContext } from "./component.js";

const identity = serviceAccountUserInfo("kube-system", "backup-controller");

/**
 * pods/exec for the backup hooks: a websocket needs a socket, so over HTTPS to our own apiserver, with a client
 * certificate for the controller's ServiceAccount (its RBAC role grants pods/exec; the admin's would grant all).
 */
async function hookExecutor(ctx: UpContext): Promise<PodExecutor> {
  const admin = loadKubeconfig(ctx.kubeconfig);
  let kubeconfig: Kubeconfig = admin;
  if (ctx.pki && admin.clientCertificate) {
    const groups = identity.groups.filter((g) => g !== AllAuthenticated);
    const issued = await ctx.pki.issueClient(identity.name, groups);
    kubeconfig = { ...admin, clientCertificate: Buffer.from(issued.cert), clientKey: Buffer.from(issued.key) };
  }
  return (target, command, timeoutMs) => execInPod(kubeconfig, target, command, timeoutMs);
}

export const backupControllerComponent: UpComponent = {
  name: "backup-controller",
  async start(ctx) {
    const client = createClient(ctx.transport(identity), {
      userAgent: "stowage-controller-manager/backup-controller",
    });
    const log = (message: string, fields?: Record<string, unknown>) =>
      ctx.log(`backup-controller: ${message} ${JSON.stringify(fields ?? {})}`);
    const stopping = new AbortController();
    const signal = AbortSignal.any([ctx.signal, stopping.signal]);
    const informers = createInformerFactory(client, { log });
    const exec = await hookExecutor(ctx);
    const started = await startBackupController({ client, informers, log, exec }, signal);
    return {
      stop: async () => {
        stopping.abort();
        await started.done;
      },
    };
  },
};
