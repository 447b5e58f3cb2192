// `stowage restore …`: Velero's `velero restore` verbs, and `control-plane` for the store itself.
import type { Command } from "commander";
import { positiveIntFlag } from "./flags.js";
import { restoreControlPlane } from "./controlplanebackup.js";
import { defaultBumpRevision } from "../store/sqlitebackup.js";

interface ControlPlaneFlags {
  from: string;
  dataDir: string;
  bumpRevision: number;
}

export function registerRestore(program: Command): void {
  const restore = program.command("restore").description("restore the control plane, or a backup's namespaces");
  restore
    .command("control-plane")
    .description(
      "make a control-plane backup the store of a new data dir; then `stowage up --data-dir DIR` serves it. " +
        "Revisions jump ahead (as etcdutl's --bump-revision --mark-compacted), so every client relists",
    )
    .requiredOption("--from <file>", "a file written by `stowage backup control-plane`")
    .requiredOption("--data-dir <dir>", "the data dir to restore into (it must hold no store yet)")
    .option(
      "--bump-revision <n>",
      "how far the revision jumps past the backup's: more than the writes the old store took after it",
      positiveIntFlag,
      defaultBumpRevision,
    )
    .action((flags: ControlPlaneFlags) => {
      try {
        const restored = restoreControlPlane(flags.from, flags.dataDir, flags.bumpRevision);
        console.log(
          `Restored ${restored.keys} objects from revision ${restored.backupRevision} into ${flags.dataDir}; ` +
            `the store goes on from revision ${restored.revision}. Start it with: stowage up --data-dir ${flags.dataDir}`,
        );
      } catch (err) {
        program.error(`error: stowage restore control-plane: ${(err as Error).message}`, { exitCode: 1 });
      }
    });
}
