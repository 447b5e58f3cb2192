import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeJwt } from "jose";
import { createCertificateAuthority } from "../../support/pki.js";
import { ServiceAccountTokens, serviceAccountUserInfo } from "./serviceaccount.js";

const issuer = "https://kubernetes.default.svc.cluster.local";
const key = (await createCertificateAuthority("sa", 1)).key;
const tokens = new ServiceAccountTokens(key, issuer, [issuer]);
const claims = {
  namespace: "team",
  serviceAccount: { name: "backup", uid: "sa-uid" },
  pod: { name: "backup-0", uid: "pod-uid" },
  audiences: [issuer],
  expirationSeconds: 3600,
};

test("a token carries upstream's claims and authenticates as its ServiceAccount with its groups", async () => {
  const { token, expiresAt } = await tokens.issue(claims);
  const payload = decodeJwt(token);
  assert.equal(payload.sub, "system:serviceaccount:team:backup");
  assert.deepEqual(payload.aud, [issuer]);
  assert.deepEqual(payload["kubernetes.io"], {
    namespace: "team",
    serviceaccount: { name: "backup", uid: "sa-uid" },
    pod: { name: "backup-0", uid: "pod-uid" },
  });
  const verified = await tokens.verify(token);
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

test("an expired token, one for another audience or one signed by another key does not verify", async () => {
  const expired = await tokens.issue(claims, new Date(Date.now() - 2 * 3600_000));
  assert.equal(await tokens.verify(expired.token), undefined);
  const vault = await tokens.issue({ ...claims, audiences: ["vault"] });
  assert.equal(await tokens.verify(vault.token), undefined);
  const other = new ServiceAccountTokens((await createCertificateAuthority("other", 1)).key, issuer, [issuer]);
  assert.equal(await tokens.verify((await other.issue(claims)).token), undefined);
  assert.equal(await tokens.verify("not.a.jwt"), undefined);
});
