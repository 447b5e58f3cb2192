// The certificates a data dir keeps, as kubeadm and k3s lay them out: <data-dir>/pki (0700) with the cluster CA,
// the apiserver's serving certificate, the client certificates components and the admin use, and the
// ServiceAccount signing key. Made on first start, reused after; a leaf certificate is re-issued when it is within
// 90 days of expiry or lacks a host it must serve (a new --tls-san). Keys are written 0600.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { hostname, networkInterfaces } from "node:os";
import { join } from "node:path";
import {
  createCertificateAuthority,
  issueCertificate,
  needsRenewal,
  newPrivateKey,
  type CertificateAndKey,
  type CertificateRequest,
} from "../support/pki.js";

const caValidDays = 3650;
const leafValidDays = 365;
const renewWithinDays = 90;

export const pkiDir = (dataDir: string): string => join(dataDir, "pki");

function read(dir: string, name: string): CertificateAndKey | undefined {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  if (!existsSync(cert) || !existsSync(key)) return undefined;
  return { cert: readFileSync(cert, "utf8"), key: readFileSync(key, "utf8") };
}

function write(dir: string, name: string, pair: CertificateAndKey): CertificateAndKey {
  writeFileSync(join(dir, `${name}.crt`), pair.cert, { mode: 0o644 });
  writeFileSync(join(dir, `${name}.key`), pair.key, { mode: 0o600 });
  chmodSync(join(dir, `${name}.key`), 0o600); // an existing file keeps its mode on write
  return pair;
}

/** The hosts the apiserver's certificate answers for: loopback, this machine's names and addresses, extras. */
export function servingHosts(extra: string[] = []): string[] {
  const addresses = Object.values(networkInterfaces())
    .flat()
    .filter((a) => a !== undefined && !a.internal)
    .map((a) => a!.address.replace(/%.*$/, ""));
  return [...new Set(["localhost", "127.0.0.1", "::1", hostname(), ...addresses, ...extra])];
}

/** A data dir's CA and the certificates it signs; everything is created or renewed on demand. */
export class DataDirPki {
  readonly dir: string;
  readonly ca: CertificateAndKey;

  private constructor(dir: string, ca: CertificateAndKey) {
    this.dir = dir;
    this.ca = ca;
  }

  static async open(dataDir: string): Promise<DataDirPki> {
    const dir = pkiDir(dataDir);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
    const ca = read(dir, "ca") ?? write(dir, "ca", await createCertificateAuthority("stowage-ca", caValidDays));
    return new DataDirPki(dir, ca);
  }

  /** The named certificate, issued now if missing, expiring or missing one of the request's hosts. */
  async certificate(name: string, request: Omit<CertificateRequest, "validDays">): Promise<CertificateAndKey> {
    const existing = read(this.dir, name);
    if (existing && !needsRenewal(existing.cert, new Date(), renewWithinDays, request.hosts ?? [])) return existing;
    return write(this.dir, name, await issueCertificate(this.ca, { ...request, validDays: leafValidDays }));
  }

  /** A fresh client certificate that is not kept (`stowage kubeconfig --user`): the caller hands it on. */
  issueClient(commonName: string, organizations: string[]): Promise<CertificateAndKey> {
    return issueCertificate(this.ca, { commonName, organizations, usage: "client", validDays: leafValidDays });
  }

  /** The key ServiceAccount tokens are signed with (kube-apiserver's --service-account-key-file). */
  async serviceAccountKey(): Promise<string> {
    const file = join(this.dir, "sa.key");
    if (existsSync(file)) return readFileSync(file, "utf8");
    const key = await newPrivateKey();
    writeFileSync(file, key, { mode: 0o600 });
    return key;
  }
}
