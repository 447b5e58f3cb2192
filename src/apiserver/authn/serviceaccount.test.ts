import assert from "node:assert/strict";
import { createHash, createPublicKey, generateKeyPairSync } from "node:crypto";
import { test } from "node:test";
import { decodeJwt, decodeProtectedHeader } from "jose";
import { createCertificateAuthority, newPrivateKey } from "../../support/pki.js";
import { DefaultServiceAccountIssuer, ServiceAccountTokens, serviceAccountUserInfo } from "./serviceaccount.js";
import { ServiceAccountKeyError } from "./serviceaccountkeys.js";

const issuer = DefaultServiceAccountIssuer;
const key = await newPrivateKey();
const tokens = new ServiceAccountTokens({ signingKey: key });
const claims = {
  namespace: "team",
  serviceAccount: { name: "backup", uid: "sa-uid" },
  pod: { name: "backup-0", uid: "pod-uid" },
  audiences: [issuer],
  expirationSeconds: 3600,
};
const rsaKey = () =>
  generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
const publicPem = (pem: string) => createPublicKey(pem).export({ type: "spki", format: "pem" }).toString();

test("a token carries upstream's claims and authenticates as its ServiceAccount with its groups", async () => {
  const now = new Date("2030-01-02T03:04:05Z");
  const { token, expiresAt } = await tokens.issue(claims, now);
  const payload = decodeJwt(token);
  assert.equal(payload.iss, issuer);
  assert.equal(payload.sub, "system:serviceaccount:team:backup");
  assert.deepEqual(payload.aud, [issuer]);
  assert.equal(payload.iat, now.getTime() / 1000);
  assert.equal(payload.nbf, now.getTime() / 1000);
  assert.equal(payload.exp, now.getTime() / 1000 + 3600);
  assert.deepEqual(payload["kubernetes.io"], {
    namespace: "team",
    serviceaccount: { name: "backup", uid: "sa-uid" },
    pod: { name: "backup-0", uid: "pod-uid" },
  });
  // kid: upstream's keyIDFromPublicKey, base64url(sha256(PKIX DER))
  const der = createPublicKey(key).export({ type: "spki", format: "der" });
  const kid = createHash("sha256").update(der).digest("base64url");
  assert.deepEqual(decodeProtectedHeader(token), { alg: "ES256", kid });
  const verified = await tokens.verify(token, now);
  assert.ok(verified);
  assert.equal(verified.expiresAt.getTime(), expiresAt.getTime());
  assert.deepEqual(serviceAccountUserInfo(verified), {
    name: "system:serviceaccount:team:backup",
    uid: "sa-uid",
    groups: ["system:serviceaccounts", "system:serviceaccounts:team", "system:authenticated"],
    extra: {
      "authentication.kubernetes.io/pod-name": ["backup-0"],
      "authentication.kubernetes.io/pod-uid": ["pod-uid"],
    },
  });
});

test("a token bound to a Secret names it in the kubernetes.io claim and carries no pod extra", async () => {
  const { pod: _pod, ...unbound } = claims;
  const { token } = await tokens.issue({ ...unbound, secret: { name: "s", uid: "secret-uid" } });
  assert.deepEqual((decodeJwt(token)["kubernetes.io"] as Record<string, unknown>).secret, {
    name: "s",
    uid: "secret-uid",
  });
  const verified = await tokens.verify(token);
  assert.deepEqual(verified?.secret, { name: "s", uid: "secret-uid" });
  assert.equal(serviceAccountUserInfo(verified!).extra, undefined);
});

test("expired (past a minute's leeway), foreign-audience, foreign-key, tampered or malformed tokens do not verify", async () => {
  const hourAgo = new Date(Date.now() - 3600_000 - 30_000);
  const withinLeeway = await tokens.issue(claims, hourAgo);
  assert.ok(await tokens.verify(withinLeeway.token), "30 s past exp is inside go-jose's leeway");
  const expired = await tokens.issue(claims, new Date(Date.now() - 2 * 3600_000));
  assert.equal(await tokens.verify(expired.token), undefined);
  const vault = await tokens.issue({ ...claims, audiences: ["vault"] });
  assert.equal(await tokens.verify(vault.token), undefined);
  const other = new ServiceAccountTokens({ signingKey: (await createCertificateAuthority("other", 1)).key });
  assert.equal(await tokens.verify((await other.issue(claims)).token), undefined);
  const [header, body, signature] = (await tokens.issue(claims)).token.split(".");
  const payload = JSON.parse(Buffer.from(body, "base64url").toString()) as Record<string, unknown>;
  const forged = Buffer.from(JSON.stringify({ ...payload, sub: "system:serviceaccount:kube-system:admin" }));
  assert.equal(await tokens.verify(`${header}.${forged.toString("base64url")}.${signature}`), undefined);
  assert.equal(await tokens.verify("not.a.jwt"), undefined);
  assert.equal(await tokens.verify("plain-static-token"), undefined);
});

test("RSA keys sign RS256; --service-account-key-file keys verify tokens of a rotated-out signing key", async () => {
  const oldKey = rsaKey();
  const old = new ServiceAccountTokens({ signingKey: oldKey });
  const { token } = await old.issue(claims);
  assert.equal(decodeProtectedHeader(token).alg, "RS256");
  assert.ok(await old.verify(token));
  const rotated = new ServiceAccountTokens({ signingKey: key, keyFiles: [publicPem(oldKey) + publicPem(key)] });
  assert.ok(await rotated.verify(token), "the old key is still listed");
  assert.ok(await rotated.verify((await rotated.issue(claims)).token));
  const dropped = new ServiceAccountTokens({ signingKey: key, keyFiles: [publicPem(key)] });
  assert.equal(await dropped.verify(token), undefined);
});

test("every --service-account-issuer is accepted, the first names new tokens; --api-audiences decide the audience", async () => {
  const legacy = new ServiceAccountTokens({ signingKey: key, issuers: ["https://old.example"] });
  const both = new ServiceAccountTokens({ signingKey: key, issuers: ["https://new.example", "https://old.example"] });
  const { token } = await both.issue({ ...claims, audiences: ["https://new.example"] });
  assert.equal(decodeJwt(token).iss, "https://new.example");
  assert.deepEqual(both.apiAudiences, ["https://new.example", "https://old.example"], "default: the issuers");
  const fromLegacy = await legacy.issue({ ...claims, audiences: ["https://old.example"] });
  assert.ok(await both.verify(fromLegacy.token));
  const api = new ServiceAccountTokens({ signingKey: key, apiAudiences: ["api"] });
  assert.ok(await api.verify((await api.issue({ ...claims, audiences: ["vault", "api"] })).token));
  assert.equal(await api.verify((await api.issue(claims)).token), undefined, "issuer is not an audience here");
});

test("a key file without an RSA or ECDSA key is refused with keyutil's message", () => {
  assert.throws(
    () => new ServiceAccountTokens({ signingKey: "not a key" }),
    (err: unknown) =>
      err instanceof ServiceAccountKeyError && err.message === "data does not contain a valid RSA or ECDSA private key",
  );
  assert.throws(
    () => new ServiceAccountTokens({ signingKey: key, keyFiles: ["-----BEGIN NOTHING-----\n-----END NOTHING-----\n"] }),
    /data does not contain any valid RSA or ECDSA public keys/,
  );
});
