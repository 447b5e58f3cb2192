import assert from "node:assert/strict";
import { test } from "node:test";
import { EncryptionConfigError, parseEncryptionConfig } from "./config.js";
import { DecryptError, transformerFor } from "./transformer.js";

const key32 = Buffer.alloc(32, 7).toString("base64");
const config = (provider: string) => `
apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources: [secrets]
    providers:
${provider}
      - identity: {}
`;
const secret = Buffer.from(JSON.stringify({ kind: "Secret", data: { password: "aHVudGVyMg==" } }));
const storageKey = "/registry/secrets/team/db";

for (const type of ["aesgcm", "aescbc", "secretbox"]) {
  test(`${type}: a Secret is stored as k8s:enc:${type}:v1:<key>: with none of its bytes in the clear, and read back`, () => {
    const { resources } = parseEncryptionConfig(config(`      - ${type}: {keys: [{name: key1, secret: "${key32}"}]}`));
    const transformer = transformerFor(resources.get("secrets")!);
    const stored = Buffer.from(transformer.write(secret, storageKey));
    assert.ok(stored.toString("latin1").startsWith(`k8s:enc:${type}:v1:key1:`));
    assert.ok(!stored.includes("aHVudGVyMg"), "the data must not be readable in the store");
    assert.deepEqual(Buffer.from(transformer.read(stored, storageKey)), secret);
  });
}

test("aesgcm binds the value to its storage key: moved elsewhere it does not decrypt", () => {
  const { resources } = parseEncryptionConfig(config(`      - aesgcm: {keys: [{name: key1, secret: "${key32}"}]}`));
  const transformer = transformerFor(resources.get("secrets")!);
  const stored = transformer.write(secret, storageKey);
  assert.throws(() => transformer.read(stored, "/registry/secrets/team/other"), DecryptError);
});

test("values written before encryption was configured are still read (identity)", () => {
  const { resources } = parseEncryptionConfig(config(`      - aesgcm: {keys: [{name: key1, secret: "${key32}"}]}`));
  assert.deepEqual(Buffer.from(transformerFor(resources.get("secrets")!).read(secret, storageKey)), secret);
});

test("a key rotated out of first place still reads what it wrote", () => {
  const old = transformerFor(
    parseEncryptionConfig(config(`      - aesgcm: {keys: [{name: old, secret: "${key32}"}]}`)).resources.get(
      "secrets",
    )!,
  );
  const stored = old.write(secret, storageKey);
  const newKey = Buffer.alloc(32, 9).toString("base64");
  const rotated = transformerFor(
    parseEncryptionConfig(
      config(`      - aesgcm: {keys: [{name: new, secret: "${newKey}"}, {name: old, secret: "${key32}"}]}`),
    ).resources.get("secrets")!,
  );
  assert.deepEqual(Buffer.from(rotated.read(stored, storageKey)), secret);
  assert.ok(Buffer.from(rotated.write(secret, storageKey)).toString("latin1").startsWith("k8s:enc:aesgcm:v1:new:"));
});

test("a bad config says which field is wrong", () => {
  assert.throws(
    () =>
      parseEncryptionConfig(
        config(`      - aesgcm: {keys: [{name: k, secret: "${Buffer.alloc(5).toString("base64")}"}]}`),
      ),
    (err) =>
      err instanceof EncryptionConfigError &&
      /providers\[0\].aesgcm.keys\[0\].secret: .*expected one of \[16,24,32\]/.test(err.message),
  );
  assert.throws(() => parseEncryptionConfig(config(`      - kms: {name: x}`)), /provider type "kms" is not supported/);
});
