// ServiceAccount tokens as kube-apiserver issues them (TokenRequest, projected token volumes): JWTs signed with
// the apiserver's service-account key (ES256), with upstream's claims — iss, sub system:serviceaccount:<ns>:<name>,
// aud, iat/nbf/exp and the kubernetes.io claim naming the namespace, the ServiceAccount and the pod they are bound
// to. Verifying one checks the signature, issuer, audience and expiry here; that the ServiceAccount (and pod) still
// exist with the same UIDs is the caller's check, against the API's objects. JWT handling is jose's.
import { createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import { SignJWT, jwtVerify, errors } from "jose";
import { AllAuthenticated, AllServiceAccounts, serviceAccountUser, type UserInfo } from "../../api/user.js";

export interface BoundObject {
  name: string;
  uid: string;
}

export interface TokenClaims {
  namespace: string;
  serviceAccount: BoundObject;
  pod?: BoundObject;
  node?: BoundObject;
  audiences: string[];
  expirationSeconds: number;
}

/** What a verified token says, for the caller's existence checks and the user it authenticates as. */
export interface VerifiedToken {
  namespace: string;
  serviceAccount: BoundObject;
  pod?: BoundObject;
  node?: BoundObject;
  expiresAt: Date;
}

export class ServiceAccountTokens {
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;

  /** keyPem: the apiserver's service-account signing key (PKCS#8 EC P-256, as pki.ts writes keys). */
  constructor(
    keyPem: string,
    readonly issuer: string,
    /** --api-audiences: what a token must be for to authenticate to this apiserver. */
    readonly apiAudiences: string[],
  ) {
    this.privateKey = createPrivateKey(keyPem);
    this.publicKey = createPublicKey(this.privateKey);
  }

  async issue(claims: TokenClaims, now = new Date()): Promise<{ token: string; expiresAt: Date }> {
    const iat = Math.floor(now.getTime() / 1000);
    const exp = iat + claims.expirationSeconds;
    const kubernetes: Record<string, unknown> = {
      namespace: claims.namespace,
      serviceaccount: { name: claims.serviceAccount.name, uid: claims.serviceAccount.uid },
    };
    if (claims.pod) kubernetes.pod = claims.pod;
    if (claims.node) kubernetes.node = claims.node;
    const token = await new SignJWT({ "kubernetes.io": kubernetes })
      .setProtectedHeader({ alg: "ES256" })
      .setIssuer(this.issuer)
      .setSubject(serviceAccountUser(claims.namespace, claims.serviceAccount.name))
      .setAudience(claims.audiences)
      .setIssuedAt(iat)
      .setNotBefore(iat)
      .setExpirationTime(exp)
      .sign(this.privateKey);
    return { token, expiresAt: new Date(exp * 1000) };
  }

  /** The token's claims, or undefined when it is not one of ours, has expired or is for another audience. */
  async verify(token: string): Promise<VerifiedToken | undefined> {
    try {
      const { payload } = await jwtVerify(token, this.publicKey, {
        issuer: this.issuer,
        audience: this.apiAudiences,
        algorithms: ["ES256"],
      });
      const claim = payload["kubernetes.io"] as
        | {
            namespace?: unknown;
            serviceaccount?: { name?: unknown; uid?: unknown };
            pod?: BoundObject;
            node?: BoundObject;
          }
        | undefined;
      const namespace = typeof claim?.namespace === "string" ? claim.namespace : "";
      const name = typeof claim?.serviceaccount?.name === "string" ? claim.serviceaccount.name : "";
      const uid = typeof claim?.serviceaccount?.uid === "string" ? claim.serviceaccount.uid : "";
      if (!namespace || !name || payload.sub !== serviceAccountUser(namespace, name) || payload.exp === undefined) {
        return undefined;
      }
      return {
        namespace,
        serviceAccount: { name, uid },
        ...(claim?.pod ? { pod: claim.pod } : {}),
        ...(claim?.node ? { node: claim.node } : {}),
        expiresAt: new Date(payload.exp * 1000),
      };
    } catch (err) {
      if (err instanceof errors.JOSEError) return undefined;
      throw err;
    }
  }
}

/** The user a ServiceAccount token authenticates as, with upstream's groups and extra (bound pod). */
export function serviceAccountUserInfo(token: VerifiedToken): UserInfo {
  const extra: Record<string, string[]> = {};
  if (token.pod) {
    extra["authentication.kubernetes.io/pod-name"] = [token.pod.name];
    extra["authentication.kubernetes.io/pod-uid"] = [token.pod.uid];
  }
  if (token.node) {
    extra["authentication.kubernetes.io/node-name"] = [token.node.name];
    extra["authentication.kubernetes.io/node-uid"] = [token.node.uid];
  }
  return {
    name: serviceAccountUser(token.namespace, token.serviceAccount.name),
    uid: token.serviceAccount.uid,
    groups: [AllServiceAccounts, `${AllServiceAccounts}:${token.namespace}`, AllAuthenticated],
    ...(Object.keys(extra).length > 0 ? { extra } : {}),
  };
}
