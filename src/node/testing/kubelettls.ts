// A CA of its own for tests that run a kubelet API: the kubelet's serving certificate, the apiserver's kubelet
// client certificate, and any other client a test wants refused. Real certificates (src/support/pki.ts), so the
// handshakes and refusals in tests are the ones in production.
import { createCertificateAuthority, issueCertificate, type CertificateAndKey } from "../../support/pki.js";
import type { KubeletServingTls } from "../server/auth.js";
import { apiserverKubeletClientRequest, kubeletServingHosts, kubeletServingRequest } from "../server/certificates.js";

/** The apiserver's side: its kubelet client certificate and the CA kubelets' certificates chain to. */
export interface KubeletClientMaterial {
  cert: string;
  key: string;
  ca: string;
}

export interface KubeletTestPki {
  ca: CertificateAndKey;
  /** A kubelet's serving certificate for the node's addresses (default: its InternalIP and loopback). */
  serving(nodeName: string, hosts?: string[]): Promise<KubeletServingTls>;
  /** What the apiserver is given to reach kubelets (--kubelet-client-certificate, …, --kubelet-certificate-authority). */
  apiserverClient(): Promise<KubeletClientMaterial>;
  /** Any other client certificate this CA signs. */
  client(commonName: string, organizations?: string[]): Promise<CertificateAndKey>;
}

export async function createKubeletTestPki(name = "kubelet-test-ca"): Promise<KubeletTestPki> {
  const ca = await createCertificateAuthority(name, 1);
  let apiserver: Promise<KubeletClientMaterial> | undefined;
  return {
    ca,
    async serving(nodeName, hosts = kubeletServingHosts(nodeName)) {
      const pair = await issueCertificate(ca, { ...kubeletServingRequest(nodeName, hosts), validDays: 1 });
      return { ...pair, clientCA: ca.cert };
    },
    apiserverClient: () =>
      (apiserver ??= issueCertificate(ca, { ...apiserverKubeletClientRequest, validDays: 1 }).then((pair) => ({
        ...pair,
        ca: ca.cert,
      }))),
    client: (commonName, organizations = []) =>
      issueCertificate(ca, { commonName, organizations, usage: "client", validDays: 1 }),
  };
}
