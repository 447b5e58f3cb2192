// `stowage apiserver --data-dir DIR`: the apiserver secured as `up` secures itself, its keys and certificates kept in
// DIR/pki and an admin kubeconfig written to DIR/kubeconfig (so `stowage kubeconfig --data-dir DIR` prints it and
// issues others). Several apiservers on one etcd share a CA and a ServiceAccount key: `--pki-from` names the first
// one's data dir (or copy its pki/ca.* and pki/sa.key before the first start), and each accepts the others' clients.
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { KubeletClientTls } from "../apiserver/kubelet.js";
import type { ServingTls } from "../apiserver/http.js";
import type { SecurityOptions } from "../apiserver/authz/gate.js";
import { kubeconfigFile, renderKubeconfig } from "./kubeconfig.js";
import { apiserverKubeletClient } from "./kubeletpki.js";
import { pkiDir } from "./pki.js";
import { upSecurity, type KubeconfigCredentials } from "./upsecurity.js";

/** What the cluster's apiservers must share: the CA (clients, serving, kubelets) and the ServiceAccount key. */
const sharedFiles = ["ca.crt", "ca.key", "sa.key"];

export interface DataDirSecurity {
  tls: ServingTls;
  security: SecurityOptions;
  signingKey: string;
  kubeletClient: Required<KubeletClientTls>;
  admin: KubeconfigCredentials;
}

/**
 * Takes the first apiserver's CA and ServiceAccount key into a new data dir; a data dir that already has a CA of
 * its own keeps it only if it is the same one (two CAs would make each refuse the other's clients).
 */
export function adoptSharedPki(dataDir: string, from: string): void {
  const source = pkiDir(from);
  const target = pkiDir(dataDir);
  if (!existsSync(join(source, "ca.crt"))) {
    throw new Error(`--pki-from ${from}: no CA at ${join(source, "ca.crt")}: start that apiserver (or up) first`);
  }
  mkdirSync(target, { recursive: true, mode: 0o700 });
  if (existsSync(join(target, "ca.crt"))) {
    if (readFileSync(join(target, "ca.crt"), "utf8") !== readFileSync(join(source, "ca.crt"), "utf8")) {
      throw new Error(`--pki-from ${from}: ${dataDir} already has a different CA; use a new --data-dir`);
    }
    return;
  }
  for (const file of sharedFiles) {
    if (existsSync(join(source, file))) copyFileSync(join(source, file), join(target, file));
  }
}

/** The data dir's PKI opened (or made): serving TLS, client certificates, Node,RBAC, the ServiceAccount key. */
export async function dataDirSecurity(dataDir: string, tlsSans: string[] = []): Promise<DataDirSecurity> {
  const secure = await upSecurity(dataDir, tlsSans);
  return {
    tls: secure.tls,
    security: secure.security,
    signingKey: await secure.pki.serviceAccountKey(),
    kubeletClient: await apiserverKubeletClient(secure.pki),
    admin: secure.admin,
  };
}

/** DIR/kubeconfig for the admin, pointing at where this apiserver listens. */
export function writeAdminKubeconfig(dataDir: string, url: string, admin: KubeconfigCredentials): string {
  const file = kubeconfigFile(dataDir);
  writeFileSync(file, renderKubeconfig(url, admin), { mode: 0o600 });
  return file;
}
