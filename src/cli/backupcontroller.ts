// The backup controller (src/backup) in `stowage up`: its own loop beside the controller-manager's, as its
// kube-system ServiceAccount backup-controller (RBAC role system:controller:backup-controller).
import { createClient, createInformerFactory } from "../client/index.js";
import { serviceAccountUserInfo } from "../api/user.js";
import { startBackupController } from "../backup/controller.js";
import type { UpComponent } from "./component.js";

export const backupControllerComponent: UpComponent = {
  name: "backup-controller",
  async start(ctx) {
    const client = createClient(ctx.transport(serviceAccountUserInfo("kube-system", "backup-controller")), {
      userAgent: "stowage-controller-manager/backup-controller",
    });
    const log = (message: string, fields?: Record<string, unknown>) =>
      ctx.log(`backup-controller: ${message} ${JSON.stringify(fields ?? {})}`);
    const stopping = new AbortController();
    const signal = AbortSignal.any([ctx.signal, stopping.signal]);
    const informers = createInformerFactory(client, { log });
    const started = await startBackupController({ client, informers, log }, signal);
    return {
      stop: async () => {
        stopping.abort();
        await started.done;
      },
    };
  },
};
