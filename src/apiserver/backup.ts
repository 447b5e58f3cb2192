// GET /backup/control-plane: a consistent copy of the whole store, streamed to the caller, taken while the
// apiserver serves. The apiserver owns the store (SQLite's file is locked to it, and its writer runs in a thread
// of this process), so the copy is made here by the store itself rather than by a second process opening the file:
// SQLite's `VACUUM INTO` on the owner's connection, or etcd's maintenance snapshot. It is a non-resource URL, so
// only a user RBAC lets get it may take it — cluster-admin (nonResourceURLs "*") and system:masters — since it
// holds every Secret.
import { createReadStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ApiRequest, ApiResponse } from "../api/http.js";
import type { Store } from "../store/store.js";
import { StatusError } from "./errors.js";

export const controlPlaneBackupPath = "/backup/control-plane";
/** The revision the copy holds, for the caller to report. */
export const backupRevisionHeader = "x-stowage-backup-revision";

/** The answer for the backup path; undefined for any other path. */
export async function serveControlPlaneBackup(
  request: ApiRequest,
  path: string,
  store: Store,
): Promise<ApiResponse | undefined> {
  if (path !== controlPlaneBackupPath) return undefined;
  if (request.method !== "GET") {
    throw new StatusError(405, "MethodNotAllowed", `the server does not allow this method on ${path}: use GET`);
  }
  if (!store.backup) {
    throw new StatusError(
      400,
      "BadRequest",
      "this apiserver's store keeps nothing on disk (--store memory): there is nothing to back up",
    );
  }
  const dir = await mkdtemp(join(tmpdir(), "stowage-backup-"));
  try {
    const revision = await store.backup(join(dir, "backup"));
    return {
      status: 200,
      headers: { "content-type": "application/octet-stream", [backupRevisionHeader]: String(revision) },
      body: streamThenRemove(join(dir, "backup"), dir),
    };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/** The file's bytes; the temporary copy goes once they were sent or the caller went away. */
async function* streamThenRemove(file: string, dir: string): AsyncIterable<Uint8Array> {
  try {
    for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) yield chunk as Buffer;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
