// Certificates the way kind and k3s make them for a cluster: one self-signed CA, and leaf certificates it signs for
// servers (the apiserver, each kubelet port) and clients (a user's CN and groups as O). ECDSA P-256 keys, PEM files.
// Certificate building is @peculiar/x509's (node:crypto can verify certificates but not make them); this file only
// says which fields Kubernetes components expect.
import { webcrypto } from "node:crypto";
type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
import { isIP } from "node:net";
// @peculiar/x509 resolves its ASN.1 codecs through tsyringe, which needs the Reflect metadata polyfill first.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const algorithm = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const dayMs = 24 * 60 * 60 * 1000;

/** A certificate and its private key, both PEM. */
export interface CertificateAndKey {
  cert: string;
  key: string;
}

export interface CertificateRequest {
  commonName: string;
  /** Subject O: for a client certificate, the user's groups (e.g. system:masters). */
  organizations?: string[];
  /** What the certificate is for: TLS server, TLS client, or both (a kubelet's port and its apiserver client). */
  usage: "server" | "client" | "server and client";
  /** Server certificates: the DNS names and IP addresses it answers for. */
  hosts?: string[];
  validDays: number;
  /** Defaults to now; tests issue certificates that are about to expire. */
  notBefore?: Date;
}

async function newKeys(): Promise<CryptoKeyPair> {
  return webcrypto.subtle.generateKey(algorithm, true, ["sign", "verify"]) as Promise<CryptoKeyPair>;
}

async function keyPem(keys: CryptoKeyPair): Promise<string> {
  const der = await webcrypto.subtle.exportKey("pkcs8", keys.privateKey);
  return x509.PemConverter.encode(der, "PRIVATE KEY");
}

/** A new ECDSA P-256 private key, PKCS#8 PEM (e.g. the ServiceAccount token signing key). */
export async function newPrivateKey(): Promise<string> {
  return keyPem(await newKeys());
}

function subject(commonName: string, organizations: string[] = []): x509.JsonName {
  return [...organizations.map((o) => ({ O: [o] })), { CN: [commonName] }];
}

function serialNumber(): string {
  // A positive 128-bit serial, as Go's crypto/x509 users pick them.
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] &= 0x7f;
  return Buffer.from(bytes).toString("hex");
}

/** A new self-signed CA (CN e.g. "stowage-ca"), valid for validDays. */
export async function createCertificateAuthority(commonName: string, validDays: number): Promise<CertificateAndKey> {
  const keys = await newKeys();
  const notBefore = new Date(Date.now() - 60_000); // a minute of slack for clocks a little behind
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: subject(commonName),
    notBefore,
    notAfter: new Date(notBefore.getTime() + validDays * dayMs),
    keys,
    signingAlgorithm: algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: cert.toString("pem"), key: await keyPem(keys) };
}

async function importSigningKey(pem: string): Promise<CryptoKey> {
  const der = x509.PemConverter.decodeFirst(pem);
  return webcrypto.subtle.importKey("pkcs8", der, algorithm, false, ["sign"]) as Promise<CryptoKey>;
}

/** A leaf certificate signed by the CA. */
export async function issueCertificate(ca: CertificateAndKey, request: CertificateRequest): Promise<CertificateAndKey> {
  const keys = await newKeys();
  const caCert = new x509.X509Certificate(ca.cert);
  const notBefore = request.notBefore ?? new Date(Date.now() - 60_000);
  const usages: string[] = [];
  if (request.usage !== "client") usages.push(x509.ExtendedKeyUsage.serverAuth);
  if (request.usage !== "server") usages.push(x509.ExtendedKeyUsage.clientAuth);
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    new x509.ExtendedKeyUsageExtension(usages, false),
    await x509.AuthorityKeyIdentifierExtension.create(caCert, false),
  ];
  const hosts = request.hosts ?? [];
  if (hosts.length > 0) {
    const names = hosts.map((host) => ({ type: isIP(host) ? "ip" : "dns", value: host }) as x509.JsonGeneralName);
    extensions.push(new x509.SubjectAlternativeNameExtension(names, false));
  }
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: subject(request.commonName, request.organizations),
    issuer: caCert.subject,
    notBefore,
    notAfter: new Date(notBefore.getTime() + request.validDays * dayMs),
    publicKey: keys.publicKey,
    signingKey: await importSigningKey(ca.key),
    signingAlgorithm: algorithm,
    extensions,
  });
  return { cert: cert.toString("pem"), key: await keyPem(keys) };
}

/** What a certificate says about itself, for renewal decisions and messages. */
export interface CertificateFacts {
  commonName: string;
  organizations: string[];
  hosts: string[];
  notBefore: Date;
  notAfter: Date;
}

export function certificateFacts(pem: string): CertificateFacts {
  const cert = new x509.X509Certificate(pem);
  const name = cert.subjectName.toJSON();
  const values = (type: string) => name.flatMap((rdn) => rdn[type] ?? []);
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  return {
    commonName: values("CN")[0] ?? "",
    organizations: values("O"),
    hosts: san ? san.names.items.map((n) => n.value) : [],
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
  };
}

/**
 * Whether a certificate should be replaced now: it expires within renewBeforeDays (k3s renews within 90 days of
 * expiry), or it lacks a host it must answer for.
 */
export function needsRenewal(pem: string, now: Date, renewBeforeDays: number, wantHosts: string[] = []): boolean {
  const facts = certificateFacts(pem);
  if (facts.notAfter.getTime() - now.getTime() < renewBeforeDays * dayMs) return true;
  return wantHosts.some((host) => !facts.hosts.includes(host));
}
