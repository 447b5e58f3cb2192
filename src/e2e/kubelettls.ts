// The locked kubelet port in test worlds: a node agent (in-process or a `stowage node` process) beside a stowage
// gets its kubelet serving certificate from that stowage's data-dir CA — the CA that also signs the apiserver's
// kubelet client certificate in `stowage up` — so logs and exec through the apiserver work as in production.
import { join } from "node:path";
import { apiserverKubeletClient, kubeletCertificateName, kubeletServingTls } from "../cli/kubeletpki.js";
import { DataDirPki, pkiDir } from "../cli/pki.js";
import type { KubeletClientTls } from "../apiserver/kubelet.js";
import type { KubeletServingTls } from "../node/server/auth.js";
import { kubeletServingRequest } from "../node/server/certificates.js";
import { createKubeletTestPki } from "../node/testing/kubelettls.js";
import { issueCertificate } from "../support/pki.js";

/** kubeletTls for a node agent started beside the stowage whose data dir is `dataDir`. */
export async function nodeKubeletTls(
  dataDir: string,
  nodeName: string,
  kubeletAddress?: string,
): Promise<KubeletServingTls> {
  return kubeletServingTls(await DataDirPki.open(dataDir), nodeName, kubeletAddress);
}

/** What that stowage's apiserver presents to kubelets (for a test that starts its own apiserver). */
export async function apiserverKubeletTls(dataDir: string): Promise<KubeletClientTls> {
  return apiserverKubeletClient(await DataDirPki.open(dataDir));
}

/** The flags a `stowage node` process beside that stowage needs: its kubelet certificate files and the CA. */
export async function kubeletTlsFlags(dataDir: string, nodeName: string, kubeletAddress?: string): Promise<string[]> {
  await nodeKubeletTls(dataDir, nodeName, kubeletAddress);
  const dir = pkiDir(dataDir);
  const name = kubeletCertificateName(nodeName);
  return [
    ...["--tls-cert-file", join(dir, `${name}.crt`), "--tls-private-key-file", join(dir, `${name}.key`)],
    ...["--client-ca-file", join(dir, "ca.crt")],
  ];
}

/** Another client of that stowage's CA (a user, another node), for tests of who the kubelet port refuses. */
export async function dataDirClient(
  dataDir: string,
  commonName: string,
  organizations: string[] = [],
): Promise<{ ca: string; cert: string; key: string }> {
  const pki = await DataDirPki.open(dataDir);
  return { ca: pki.ca.cert, ...(await pki.issueClient(commonName, organizations)) };
}

/** How a kubelet's TLS can fail to match the apiserver's, for tests of what the apiserver then says. */
export type KubeletTlsMismatch =
  "serving certificate from another CA" | "serving certificate for other names" | "client CA of another CA";

/** A kubelet's TLS material that is wrong for the stowage whose data dir is `dataDir`, in the way `mismatch` says. */
export async function mismatchedKubeletTls(
  dataDir: string,
  nodeName: string,
  mismatch: KubeletTlsMismatch,
): Promise<KubeletServingTls> {
  const pki = await DataDirPki.open(dataDir);
  const stranger = await createKubeletTestPki("stranger-ca");
  if (mismatch === "serving certificate from another CA") return stranger.serving(nodeName, ["127.0.0.1", nodeName]);
  if (mismatch === "client CA of another CA")
    return { ...(await nodeKubeletTls(dataDir, nodeName)), clientCA: stranger.ca.cert };
  const pair = await issueCertificate(pki.ca, {
    ...kubeletServingRequest(nodeName, ["elsewhere.example"]),
    validDays: 1,
  });
  return { ...pair, clientCA: pki.ca.cert };
}
