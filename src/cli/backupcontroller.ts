// The backup controller (src/backup) as a loop of the controller-manager, in `stowage controller-manager` and in
// `stowage up` alike: leader-elected with the other loops, as its kube-system ServiceAccount backup-controller
// (RBAC role system:controller:backup-controller).
import { startBackupController } from "../backup/controller.js";
import type { ExtraLoop } from "../controllers/manager.js";

export const backupControllerLoop: ExtraLoop = {
  serviceAccount: "backup-controller",
  start: (ctx, signal) =>
    startBackupController(
      { ...ctx, log: (message, fields) => ctx.log(`backup-controller: ${message}`, fields) },
      signal,
    ),
};
