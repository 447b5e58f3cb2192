// What `stowage up` secures itself with, as kind and k3s do: a CA and certificates in <data-dir>/pki (made on the
// first start, reused and renewed after), HTTPS for the API, x509 client certificates and the Node,RBAC
// authorizers, and an admin kubeconfig whose user is a client certificate of group system:masters. In-process
// components present no certificate; `up` vouches for each one's identity (UpContext.transport).
import type { ServingTls } from "../apiserver/http.js";
import type { SecurityOptions } from "../apiserver/authz/gate.js";
import { AllAuthenticated, SystemMasters, type UserInfo } from "../api/user.js";
import { DataDirPki, servingHosts } from "./pki.js";

/** The admin's identity: the kubeconfig's client certificate, and the in-process clients tests and tools use. */
export const clusterAdmin: UserInfo = { name: "kubernetes-admin", groups: [SystemMasters, AllAuthenticated] };

/** What the kubeconfig's user presents: the CA to trust and the admin's client certificate. */
export interface KubeconfigCredentials {
  certificateAuthority: string;
  clientCertificate: string;
  clientKey: string;
}

export interface UpSecurity {
  pki: DataDirPki;
  tls: ServingTls;
  security: SecurityOptions;
  admin: KubeconfigCredentials;
}

/** The data dir's PKI opened (or made), and what the apiserver and the admin kubeconfig need from it. */
export async function upSecurity(dataDir: string, tlsSans: string[] = []): Promise<UpSecurity> {
  const pki = await DataDirPki.open(dataDir);
  const serving = await pki.certificate("apiserver", {
    commonName: "kube-apiserver",
    usage: "server",
    hosts: servingHosts(tlsSans),
  });
  const admin = await pki.certificate("admin", {
    commonName: clusterAdmin.name,
    organizations: [SystemMasters],
    usage: "client",
  });
  return {
    pki,
    tls: { cert: serving.cert, key: serving.key, clientCA: pki.ca.cert },
    security: { authentication: { anonymous: true }, authorization: ["Node", "RBAC"] },
    admin: { certificateAuthority: pki.ca.cert, clientCertificate: admin.cert, clientKey: admin.key },
  };
}
