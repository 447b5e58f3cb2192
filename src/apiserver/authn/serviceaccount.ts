// ServiceAccount tokens as kube-apiserver issues them (TokenRequest, projected token volumes): JWTs signed with the
// apiserver's --service-account-signing-key-file, with upstream's claims — iss, sub system:serviceaccount:<ns>:<name>,
// aud, iat/nbf/exp and the kubernetes.io claim naming the namespace, the ServiceAccount and the Pod or Secret they
// are bound to. Verifying one checks the signature (any --service-account-key-file key), the issuer (any
// --service-account-issuer), the audience (one of --api-audiences) and expiry, with go-jose's one minute of leeway;
// that the ServiceAccount (and bound object) still exist with the same UIDs is serviceaccountvalidator.ts's check.
// JWT handling is jose's.
import { createPublicKey, type KeyObject } from "node:crypto";
import { SignJWT, decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from "jose";
import { AllAuthenticated, AllServiceAccounts, serviceAccountUser, type UserInfo } from "../../api/user.js";
import { algorithmOf, keyIdOf, publicKeysFromPem, signingKeyFromPem } from "./serviceaccountkeys.js";

/** The default --service-account-issuer of `stowage apiserver` (kubeadm's). */
export const DefaultServiceAccountIssuer = "https://kubernetes.default.svc.cluster.local";

/** jwt.DefaultLeeway: exp and nbf are checked one minute loosely, as go-jose does for upstream. */
const leewaySeconds = 60;

export interface ObjectRef {
  name: string;
  uid: string;
}

export interface TokenClaims {
  namespace: string;
  serviceAccount: ObjectRef;
  /** What the token is bound to: it stops working when that object goes (at most one of the two). */
  pod?: ObjectRef;
  secret?: ObjectRef;
  audiences: string[];
  expirationSeconds: number;
}

/** What a verified token says, for the existence checks and the user it authenticates as. */
export interface VerifiedToken {
  namespace: string;
  serviceAccount: ObjectRef;
  pod?: ObjectRef;
  secret?: ObjectRef;
  expiresAt: Date;
}

export interface ServiceAccountTokenOptions {
  /** --service-account-signing-key-file: the private key (PEM) new tokens are signed with. */
  signingKey: string;
  /** --service-account-key-file contents (PEM): a token signed by any of their keys verifies; default the signing key's. */
  keyFiles?: string[];
  /** --service-account-issuer: the first names new tokens; tokens naming any of them are accepted. */
  issuers?: string[];
  /** --api-audiences: a token must be for one of them to authenticate here; default the issuers. */
  apiAudiences?: string[];
}

interface VerificationKey {
  key: KeyObject;
  kid: string;
  algorithm: string;
}

const refOf = (value: unknown): ObjectRef | undefined => {
  if (typeof value !== "object" || value === null) return undefined;
  const { name, uid } = value as Record<string, unknown>;
  return typeof name === "string" && name && typeof uid === "string" ? { name, uid } : undefined;
};

export class ServiceAccountTokens {
  readonly issuers: string[];
  readonly apiAudiences: string[];
  private readonly signingKey: KeyObject;
  private readonly signingAlgorithm: string;
  private readonly signingKid: string;
  private readonly verificationKeys: VerificationKey[];

  /** Throws ServiceAccountKeyError for a key file that holds no usable key. */
  constructor(options: ServiceAccountTokenOptions) {
    this.issuers = options.issuers?.length ? options.issuers : [DefaultServiceAccountIssuer];
    this.apiAudiences = options.apiAudiences?.length ? options.apiAudiences : this.issuers;
    this.signingKey = signingKeyFromPem(options.signingKey);
    this.signingAlgorithm = algorithmOf(this.signingKey);
    this.signingKid = keyIdOf(this.signingKey);
    const keys = options.keyFiles?.length
      ? options.keyFiles.flatMap((pem) => publicKeysFromPem(pem))
      : [createPublicKey(this.signingKey)];
    this.verificationKeys = keys.map((key) => ({ key, kid: keyIdOf(key), algorithm: algorithmOf(key) }));
  }

  get issuer(): string {
    return this.issuers[0];
  }

  async issue(claims: TokenClaims, now = new Date()): Promise<{ token: string; expiresAt: Date }> {
    const iat = Math.floor(now.getTime() / 1000);
    const exp = iat + claims.expirationSeconds;
    const kubernetes: Record<string, unknown> = {
      namespace: claims.namespace,
      serviceaccount: { name: claims.serviceAccount.name, uid: claims.serviceAccount.uid },
    };
    if (claims.pod) kubernetes.pod = { name: claims.pod.name, uid: claims.pod.uid };
    else if (claims.secret) kubernetes.secret = { name: claims.secret.name, uid: claims.secret.uid };
    const token = await new SignJWT({ "kubernetes.io": kubernetes })
      .setProtectedHeader({ alg: this.signingAlgorithm, kid: this.signingKid })
      .setIssuer(this.issuer)
      .setSubject(serviceAccountUser(claims.namespace, claims.serviceAccount.name))
      .setAudience(claims.audiences)
      .setIssuedAt(iat)
      .setNotBefore(iat)
      .setExpirationTime(exp)
      .sign(this.signingKey);
    return { token, expiresAt: new Date(exp * 1000) };
  }

  /** Whether the token claims to come from one of our issuers (upstream's hasCorrectIssuer): ours to judge. */
  isOurs(token: string): boolean {
    try {
      const iss = decodeJwt(token).iss;
      return typeof iss === "string" && this.issuers.includes(iss);
    } catch {
      return false;
    }
  }

  /** The token's claims, or undefined when it is not one of ours, is tampered with, expired or for another audience. */
  async verify(token: string, now = new Date()): Promise<VerifiedToken | undefined> {
    if (!this.isOurs(token)) return undefined;
    const payload = await this.verifiedPayload(token, now);
    const claim = payload?.["kubernetes.io"];
    if (!payload || typeof claim !== "object" || claim === null || payload.exp === undefined) return undefined;
    const { namespace, serviceaccount, pod, secret } = claim as Record<string, unknown>;
    const serviceAccount = refOf(serviceaccount);
    if (typeof namespace !== "string" || !namespace || !serviceAccount) return undefined;
    if (payload.sub !== serviceAccountUser(namespace, serviceAccount.name)) return undefined;
    const podRef = refOf(pod);
    const secretRef = refOf(secret);
    return {
      namespace,
      serviceAccount,
      ...(podRef ? { pod: podRef } : {}),
      ...(secretRef ? { secret: secretRef } : {}),
      expiresAt: new Date(payload.exp * 1000),
    };
  }

  /** The payload once a key verifies the signature and the registered claims hold; kid first, then every key. */
  private async verifiedPayload(token: string, now: Date): Promise<JWTPayload | undefined> {
    let kid: unknown;
    try {
      kid = decodeProtectedHeader(token).kid;
    } catch {
      return undefined;
    }
    const keys = [...this.verificationKeys].sort((a, b) => Number(b.kid === kid) - Number(a.kid === kid));
    for (const { key, algorithm } of keys) {
      try {
        const { payload } = await jwtVerify(token, key, {
          issuer: this.issuers,
          audience: this.apiAudiences,
          algorithms: [algorithm],
          clockTolerance: leewaySeconds,
          currentDate: now,
          requiredClaims: ["exp", "sub"],
        });
        return payload;
      } catch (err) {
        if (err instanceof errors.JWSSignatureVerificationFailed || err instanceof errors.JOSEAlgNotAllowed) continue;
        if (err instanceof errors.JOSEError) return undefined; // signed by us, but expired or for another audience
        throw err;
      }
    }
    return undefined;
  }
}

/** The user a ServiceAccount token authenticates as, with upstream's groups and, when bound to a pod, extra. */
export function serviceAccountUserInfo(token: VerifiedToken): UserInfo {
  const extra: Record<string, string[]> = {};
  if (token.pod) {
    extra["authentication.kubernetes.io/pod-name"] = [token.pod.name];
    extra["authentication.kubernetes.io/pod-uid"] = [token.pod.uid];
  }
  return {
    name: serviceAccountUser(token.namespace, token.serviceAccount.name),
    uid: token.serviceAccount.uid,
    groups: [AllServiceAccounts, `${AllServiceAccounts}:${token.namespace}`, AllAuthenticated],
    ...(Object.keys(extra).length > 0 ? { extra } : {}),
  };
}
