// `stowage backup control-plane` and `stowage restore control-plane`: the whole store, copied while it serves, and
// brought back into a new data dir.
//
// The copy is asked of the apiserver (GET /backup/control-plane, src/apiserver/backup.ts), never read from the
// file: the apiserver owns the store, so only it can copy it without a second writer and without missing what
// its writer thread has not yet folded out of the WAL; it works the same against a remote apiserver and on etcd;
// and RBAC decides who may take a copy holding every Secret. Restore is local: it writes a data dir's store file
// before any apiserver opens it, raising the revision (src/store/sqlitebackup.ts) so every client relists.
import { createWriteStream, existsSync, mkdirSync, renameSync, rmSync, statSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import { join, resolve } from "node:path";
import { pipeline } from "node:stream/promises";
import type { Kubeconfig } from "../client/kubeconfig.js";
import { isSqliteFile, restoreSqlite, type RestoredStore } from "../store/sqlitebackup.js";
import { backupRevisionHeader, controlPlaneBackupPath } from "../apiserver/backup.js";

export interface ControlPlaneBackup {
  file: string;
  revision: number;
  bytes: number;
}

export class ControlPlaneBackupError extends Error {}

/** Downloads a consistent copy of the apiserver's store to `to` (which must not exist). */
export async function backupControlPlane(kubeconfig: Kubeconfig, to: string): Promise<ControlPlaneBackup> {
  const file = resolve(to);
  if (existsSync(file)) throw new ControlPlaneBackupError(`${to} already exists: name a new file`);
  const partial = `${file}.partial`;
  rmSync(partial, { force: true });
  try {
    const revision = await download(kubeconfig, partial);
    renameSync(partial, file);
    return { file, revision, bytes: statSync(file).size };
  } catch (err) {
    rmSync(partial, { force: true });
    throw err;
  }
}

function download(kubeconfig: Kubeconfig, file: string): Promise<number> {
  const url = new URL(kubeconfig.server.replace(/\/+$/, "") + controlPlaneBackupPath);
  const secure = url.protocol === "https:";
  const headers: Record<string, string> = kubeconfig.token ? { authorization: `Bearer ${kubeconfig.token}` } : {};
  const options: https.RequestOptions = {
    headers,
    ca: kubeconfig.certificateAuthority,
    cert: kubeconfig.clientCertificate,
    key: kubeconfig.clientKey,
    rejectUnauthorized: !kubeconfig.insecureSkipTlsVerify,
    servername: kubeconfig.tlsServerName,
  };
  return new Promise<number>((resolvePromise, reject) => {
    const request = (secure ? https : http).get(url, options, (response) => {
      const status = response.statusCode ?? 0;
      if (status !== 200) {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => reject(refusal(status, Buffer.concat(chunks).toString())));
        response.on("error", reject);
        return;
      }
      const revision = Number(response.headers[backupRevisionHeader]);
      pipeline(response, createWriteStream(file, { flags: "wx" })).then(() => resolvePromise(revision), reject);
    });
    request.on("error", reject);
  });
}

/** The apiserver's Status message, as kubectl prints it. */
function refusal(status: number, body: string): ControlPlaneBackupError {
  let message = body.trim();
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed && typeof parsed === "object" && "message" in parsed && typeof parsed.message === "string") {
      message = parsed.message;
    }
  } catch {
    // not a Status: say what came
  }
  return new ControlPlaneBackupError(`the apiserver refused the backup (${status}): ${message}`);
}

/** The store file `stowage up` keeps in a data dir. */
export const storeFileOf = (dataDir: string): string => join(resolve(dataDir), "stowage.db");

/** Writes the backup `from` as the store of `dataDir`, which must not have one yet. */
export function restoreControlPlane(from: string, dataDir: string, bumpRevision?: number): RestoredStore {
  if (!existsSync(from)) throw new ControlPlaneBackupError(`${from} does not exist`);
  if (!isSqliteFile(from)) {
    throw new ControlPlaneBackupError(
      `${from} is not a SQLite backup; an etcd snapshot is restored with etcd's own tool, as upstream does: ` +
        `etcdutl snapshot restore ${from} --bump-revision 1000000000 --mark-compacted --data-dir <etcd data dir>`,
    );
  }
  const store = storeFileOf(dataDir);
  if (existsSync(store)) {
    throw new ControlPlaneBackupError(
      `${dataDir} already has a store (${store}): restore into a new data dir, or remove that store first`,
    );
  }
  mkdirSync(resolve(dataDir), { recursive: true });
  return restoreSqlite(from, store, bumpRevision);
}
