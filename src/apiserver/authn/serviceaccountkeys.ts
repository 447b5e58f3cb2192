// The keys ServiceAccount tokens are signed and verified with, read as kube-apiserver reads them:
// --service-account-signing-key-file holds one private key (keyutil.ParsePrivateKeyPEM); each
// --service-account-key-file holds public keys, private keys (their public half counts) or certificates (their
// key counts), RSA or ECDSA (keyutil.ParsePublicKeysPEM). RSA keys sign RS256, ECDSA keys ES256/384/512 by curve,
// and every token names its key in the JWS "kid" header as upstream computes it.
import { createHash, createPrivateKey, createPublicKey, X509Certificate, type KeyObject } from "node:crypto";

export class ServiceAccountKeyError extends Error {
  override name = "ServiceAccountKeyError";
}

const curveAlgorithms: Record<string, string> = { prime256v1: "ES256", secp384r1: "ES384", secp521r1: "ES512" };

/** The JWS algorithm upstream signs with for this key (and the only one a token under it may claim). */
export function algorithmOf(key: KeyObject): string {
  if (key.asymmetricKeyType === "rsa") return "RS256";
  const curve = key.asymmetricKeyDetails?.namedCurve ?? "";
  if (key.asymmetricKeyType === "ec" && curveAlgorithms[curve]) return curveAlgorithms[curve];
  throw new ServiceAccountKeyError(`unsupported key type ${key.asymmetricKeyType ?? "unknown"} ${curve}`.trim());
}

/** keyIDFromPublicKey: base64url (no padding) of the SHA-256 of the key's PKIX DER encoding. */
export function keyIdOf(key: KeyObject): string {
  const der = (key.type === "private" ? createPublicKey(key) : key).export({ type: "spki", format: "der" });
  return createHash("sha256").update(der).digest("base64url");
}

const pemBlocks = (pem: string): { type: string; text: string }[] =>
  [...pem.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g)].map((m) => ({ type: m[1], text: m[0] }));

/** The one private key of a signing-key file. */
export function signingKeyFromPem(pem: string): KeyObject {
  for (const block of pemBlocks(pem)) {
    if (!block.type.endsWith("PRIVATE KEY")) continue;
    const key = createPrivateKey(block.text);
    algorithmOf(key);
    return key;
  }
  throw new ServiceAccountKeyError("data does not contain a valid RSA or ECDSA private key");
}

/** Every RSA or ECDSA public key a key file holds, in order. */
export function publicKeysFromPem(pem: string): KeyObject[] {
  const keys: KeyObject[] = [];
  for (const block of pemBlocks(pem)) {
    let key: KeyObject | undefined;
    if (block.type === "CERTIFICATE") key = new X509Certificate(block.text).publicKey;
    else if (block.type.endsWith("PUBLIC KEY")) key = createPublicKey(block.text);
    else if (block.type.endsWith("PRIVATE KEY")) key = createPublicKey(createPrivateKey(block.text));
    if (key && (key.asymmetricKeyType === "rsa" || key.asymmetricKeyType === "ec")) keys.push(key);
  }
  if (keys.length === 0) throw new ServiceAccountKeyError("data does not contain any valid RSA or ECDSA public keys");
  return keys;
}
