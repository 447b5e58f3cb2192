// `stowage restore …`: Velero's `velero restore` verbs, and `control-plane` for the store itself.
import { Option, type Command } from "commander";
import { positiveIntFlag } from "./flags.js";
import { restoreControlPlane } from "./controlplanebackup.js";
import { defaultBumpRevision } from "../store/sqlitebackup.js";
import { addConnectionFlags, clientOf, ensureNamespace, waitAndReport, type ConnectionFlags } from "./backupclient.js";
import { restoreResource } from "../backup/resources.js";

interface CreateFlags extends ConnectionFlags {
  fromBackup: string;
  namespaceMappings?: string;
  includeNamespaces?: string;
  existingResourcePolicy?: "none" | "update";
  wait?: boolean;
}

/** Velero's --namespace-mappings "src1:dst1,src2:dst2". */
function mappings(program: Command, text: string | undefined): Record<string, string> | undefined {
  if (!text) return undefined;
  const pairs = text.split(",").map((pair) => pair.split(":"));
  const bad = pairs.find((pair) => pair.length !== 2 || !pair[0] || !pair[1]);
  if (bad) program.error(`error: --namespace-mappings: "${bad.join(":")}" is not source:target`, { exitCode: 2 });
  return Object.fromEntries(pairs);
}

interface ControlPlaneFlags {
  from: string;
  dataDir: string;
  bumpRevision: number;
}

export function registerRestore(program: Command): void {
  const restore = program.command("restore").description("restore the control plane, or a backup's namespaces");
  addConnectionFlags(
    restore
      .command("create <name>")
      .description("bring a backup's objects and claims' data back, into the same or mapped namespaces")
      .requiredOption("--from-backup <backup>", "the backup to restore")
      .option("--namespace-mappings <src:dst,...>", "restore namespace src into dst")
      .option("--include-namespaces <ns,...>", "only these of the backup's namespaces")
      .addOption(
        new Option(
          "--existing-resource-policy <policy>",
          "what to do with an object that exists and differs: none (leave it, with a warning) or update (patch it)",
        ).choices(["none", "update"]),
      )
      .option("--wait", "wait for the restore to finish, printing its progress"),
  ).action(async (name: string, flags: CreateFlags) => {
    const client = clientOf(program, flags);
    const restores = client.resource(restoreResource);
    const namespaceMapping = mappings(program, flags.namespaceMappings);
    const included = flags.includeNamespaces?.split(",").filter(Boolean);
    try {
      await ensureNamespace(client, flags.namespace);
      await restores.create({
        metadata: { name, namespace: flags.namespace },
        spec: {
          backupName: flags.fromBackup,
          ...(namespaceMapping ? { namespaceMapping } : {}),
          ...(included?.length ? { includedNamespaces: included } : {}),
          ...(flags.existingResourcePolicy ? { existingResourcePolicy: flags.existingResourcePolicy } : {}),
        },
      });
      console.log(`Restore request "${name}" submitted successfully.`);
      if (!flags.wait) return;
      const done = await waitAndReport(
        () => restores.get(flags.namespace, name),
        (line) => console.log(line),
      );
      for (const item of done.status?.items ?? []) {
        const where = `${item.namespace ? `${item.namespace}/` : ""}${item.name}`;
        console.log(`  ${item.result} ${item.resource} ${where}${item.message ? `: ${item.message}` : ""}`);
      }
      if (done.status?.phase !== "Completed") {
        const why = done.status?.failureReason ?? done.status?.validationErrors?.join("; ") ?? "";
        program.error(`error: restore "${name}" ended ${done.status?.phase}: ${why}`, { exitCode: 1 });
      }
    } catch (err) {
      program.error(`error: stowage restore create: ${(err as Error).message}`, { exitCode: 1 });
    }
  });
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
