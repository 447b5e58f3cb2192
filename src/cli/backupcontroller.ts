// The backup controller (src/backup) as a loop of the controller-manager, in `stowage controller-manager` and in
// `stowage up` alike: leader-elected with the other loops, as its kube-system ServiceAccount backup-controller
// (RBAC role system:controller:backup-controller).
import { execInPod, loadKubeconfig, type Kubeconfig } from "../client/index.js";
import { AllAuthenticated, serviceAccountUserInfo } from "../api/user.js";
import { startBackupController } from "../backup/controller.js";
import type { PodExecutor } from "../backup/hooks.js";
import type { ExtraLoop } from "../controllers/manager.js";
import type { UpContext } from "./component.js";

/** The loop; `exec` runs the backup hooks (pods/exec), made by whoever holds a kubeconfig with a socket. */
export function backupControllerLoop(exec: PodExecutor): ExtraLoop {
  return {
    serviceAccount: "backup-controller",
    start: (ctx, signal) =>
      startBackupController(
        { ...ctx, exec, log: (message, fields) => ctx.log(`backup-controller: ${message}`, fields) },
        signal,
      ),
  };
}

/** pods/exec as the given kubeconfig's user (the standalone controller-manager's own). */
export function kubeconfigExecutor(kubeconfig: Kubeconfig): PodExecutor {
  return (target, command, timeoutMs) => execInPod(kubeconfig, target, command, timeoutMs);
}

/**
 * pods/exec inside `up`: a websocket needs a socket, which the in-process transport has not, so over HTTPS to our
 * own apiserver with a client certificate for the controller's ServiceAccount (its RBAC role grants pods/exec; the
 * admin's would grant all). Made at the first hook, so a world without hooks (or without a kubeconfig) needs none.
 */
export function upHookExecutor(ctx: UpContext): PodExecutor {
  let executor: Promise<PodExecutor> | undefined;
  return async (target, command, timeoutMs) => {
    executor ??= certificateExecutor(ctx).catch((err: unknown) => {
      executor = undefined;
      throw err;
    });
    return (await executor)(target, command, timeoutMs);
  };
}

async function certificateExecutor(ctx: UpContext): Promise<PodExecutor> {
  const admin = loadKubeconfig(ctx.kubeconfig);
  if (!ctx.pki || !admin.clientCertificate) return kubeconfigExecutor(admin);
  const identity = serviceAccountUserInfo("kube-system", "backup-controller");
  const groups = identity.groups.filter((g) => g !== AllAuthenticated);
  const issued = await ctx.pki.issueClient(identity.name, groups);
  return kubeconfigExecutor({
    ...admin,
    clientCertificate: Buffer.from(issued.cert),
    clientKey: Buffer.from(issued.key),
  });
}
