// The certificates the kubelet API and its one client use, as kubeadm issues them: the kubelet's serving
// certificate names every address the apiserver may dial (InternalIP, the node's name, loopback), and the
// apiserver's kubelet client certificate is CN kube-apiserver-kubelet-client in group system:masters. Whoever holds
// the CA issues them (src/cli's DataDirPki for `stowage up`, a test CA in tests); this file only says what is in them.
import { hostname } from "node:os";
import type { CertificateRequest } from "../../support/pki.js";
import { hostIP } from "../nodestatus.js";
import { apiserverKubeletClientUser, systemMastersGroup } from "./auth.js";

export type KubeletCertificateRequest = Omit<CertificateRequest, "validDays">;

/** The names a kubelet's serving certificate must answer for: its Node's addresses and loopback. */
export function kubeletServingHosts(nodeName: string, nodeIP: string = hostIP()): string[] {
  return [...new Set([nodeIP, nodeName, hostname(), "localhost", "127.0.0.1", "::1"])];
}

/** A kubelet's serving certificate (upstream's server TLS bootstrap: CN system:node:<name>, O system:nodes). */
export function kubeletServingRequest(nodeName: string, hosts: string[]): KubeletCertificateRequest {
  return { commonName: `system:node:${nodeName}`, organizations: ["system:nodes"], usage: "server", hosts };
}

/** kube-apiserver's --kubelet-client-certificate, as kubeadm's apiserver-kubelet-client.crt. */
export const apiserverKubeletClientRequest: KubeletCertificateRequest = {
  commonName: apiserverKubeletClientUser,
  organizations: [systemMastersGroup],
  usage: "client",
};
