// The locked kubelet port's certificates from a data dir's CA (pki.ts), for what `stowage up` runs in one process:
// each node's serving certificate (<data-dir>/pki/kubelet-<node>.crt, for its InternalIP, name and loopback) with the
// CA as its client CA, and the apiserver's kubelet client certificate (apiserver-kubelet-client.crt, kubeadm's name)
// with the CA the kubelets' certificates chain to. Issued on first use, renewed as every other leaf.
import type { KubeletClientTls } from "../apiserver/kubelet.js";
import type { KubeletServingTls } from "../node/server/auth.js";
import { kubeletListenAddress } from "../node/server/address.js";
import {
  apiserverKubeletClientRequest,
  kubeletServingHosts,
  kubeletServingRequest,
} from "../node/server/certificates.js";
import type { DataDirPki } from "./pki.js";

/** The file name (without .crt/.key) of a node's kubelet serving certificate. */
export const kubeletCertificateName = (nodeName: string): string => `kubelet-${nodeName}`;
export const apiserverKubeletClientName = "apiserver-kubelet-client";

/** A node agent's kubeletTls: serving certificate for where the apiserver will dial it, and the CA as client CA. */
export async function kubeletServingTls(
  pki: DataDirPki,
  nodeName: string,
  kubeletAddress?: string,
): Promise<KubeletServingTls> {
  const hosts = kubeletServingHosts(nodeName, kubeletListenAddress(kubeletAddress).nodeIP);
  const pair = await pki.certificate(kubeletCertificateName(nodeName), kubeletServingRequest(nodeName, hosts));
  return { cert: pair.cert, key: pair.key, clientCA: pki.ca.cert };
}

/** The apiserver's kubeletClient: who it is to kubelets, and the CA their serving certificates chain to. */
export async function apiserverKubeletClient(pki: DataDirPki): Promise<Required<KubeletClientTls>> {
  const pair = await pki.certificate(apiserverKubeletClientName, apiserverKubeletClientRequest);
  return { cert: pair.cert, key: pair.key, ca: pki.ca.cert };
}
