// The BackupStorageLocation every backup test starts from: `local`, the default, a restic repository in the test's
// own directory, made with the CLI as a user would.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { runStowage } from "./agentprocess.js";

/** `stowage backup-location create local --path DIR/repo --password-file DIR/password --default`; the repo's path. */
export async function createLocalBackupLocation(dir: string, kubeconfig: string, password: string): Promise<string> {
  const repo = join(dir, "repo");
  writeFileSync(join(dir, "password"), `${password}\n`);
  const location = await runStowage([
    ...["backup-location", "create", "local", "--path", repo],
    ...["--password-file", join(dir, "password"), "--default", "--kubeconfig", kubeconfig],
  ]);
  assert.equal(location.code, 0, location.stderr);
  return repo;
}
