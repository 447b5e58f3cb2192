// `stowage backup-location create NAME --path DIR|URL`: a BackupStorageLocation and the Secret with its restic
// repository's password (read from --password-file, or made up and printed once: a second stowage that restores
// from the same location needs it).
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { addConnectionFlags, clientOf, ensureNamespace, type ConnectionFlags } from "./backupclient.js";
import { backupStorageLocationResource } from "../backup/resources.js";

interface CreateFlags extends ConnectionFlags {
  path: string;
  passwordFile?: string;
  default?: boolean;
}

export function registerBackupLocation(program: Command): void {
  const location = program.command("backup-location").description("where backups go: restic repositories");
  addConnectionFlags(
    location
      .command("create <name>")
      .description("make a backup storage location: a directory (local or NFS) or any restic repository URL")
      .requiredOption(
        "--path <dir-or-url>",
        "the restic repository: an absolute directory or a URL (sftp:, s3:, rest:)",
      )
      .option("--password-file <file>", "the repository's password (default: a new random one, printed once)")
      .option("--default", "backups that name no location go here"),
  ).action(async (name: string, flags: CreateFlags) => {
    if (!flags.path.startsWith("/") && !/^[a-z0-9]+:/.test(flags.path)) {
      program.error(`error: --path: "${flags.path}" is neither an absolute directory nor a restic URL`, {
        exitCode: 2,
      });
    }
    const password = flags.passwordFile
      ? readFileSync(flags.passwordFile, "utf8").trim()
      : randomBytes(24).toString("base64url");
    const client = clientOf(program, flags);
    try {
      await ensureNamespace(client, flags.namespace);
      const secret = `${name}-restic`;
      await client.secrets.create({
        metadata: { name: secret, namespace: flags.namespace },
        stringData: { password },
      } as never);
      await client.resource(backupStorageLocationResource).create({
        metadata: { name, namespace: flags.namespace },
        spec: {
          provider: "restic",
          objectStorage: { bucket: flags.path },
          credential: { name: secret, key: "password" },
          ...(flags.default ? { default: true } : {}),
        },
      });
    } catch (err) {
      program.error(`error: stowage backup-location create: ${(err as Error).message}`, { exitCode: 1 });
    }
    console.log(`Backup storage location "${name}" created: ${flags.path}`);
    if (!flags.passwordFile) console.log(`Repository password (keep it to restore elsewhere): ${password}`);
  });
}
