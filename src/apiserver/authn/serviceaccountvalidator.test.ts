// upstream's claims validator, case by case: a verified token authenticates only while its ServiceAccount and the
// Pod or Secret it is bound to exist with the UIDs it names; objects deleted under a minute ago still count.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { KubeObject } from "../../api/meta.js";
import type { VerifiedToken } from "./serviceaccount.js";
import { validateServiceAccountToken, type CoreObjectGetter } from "./serviceaccountvalidator.js";

const now = new Date("2030-01-01T12:00:00Z");
const secondsAgo = (s: number) => new Date(now.getTime() - s * 1000).toISOString();
const object = (uid: string, deletionTimestamp?: string): KubeObject => ({
  apiVersion: "v1",
  kind: "Object",
  metadata: { uid, ...(deletionTimestamp ? { deletionTimestamp } : {}) },
});
const token: VerifiedToken = {
  namespace: "team",
  serviceAccount: { name: "default", uid: "sa-1" },
  expiresAt: new Date(now.getTime() + 3600_000),
};
const pod = { ...token, pod: { name: "app", uid: "pod-1" } };
const secret = { ...token, secret: { name: "ci", uid: "secret-1" } };

const cases: { name: string; token: VerifiedToken; stored: Record<string, KubeObject>; valid: boolean }[] = [
  {
    name: "the ServiceAccount exists with the token's UID",
    token,
    stored: { "serviceaccounts/default": object("sa-1") },
    valid: true,
  },
  { name: "the ServiceAccount is gone", token, stored: {}, valid: false },
  {
    name: "the ServiceAccount was recreated (another UID)",
    token,
    stored: { "serviceaccounts/default": object("sa-2") },
    valid: false,
  },
  {
    name: "the ServiceAccount is being deleted, since under a minute",
    token,
    stored: { "serviceaccounts/default": object("sa-1", secondsAgo(30)) },
    valid: true,
  },
  {
    name: "the ServiceAccount is being deleted, since over a minute",
    token,
    stored: { "serviceaccounts/default": object("sa-1", secondsAgo(90)) },
    valid: false,
  },
  {
    name: "the bound pod exists with its UID",
    token: pod,
    stored: { "serviceaccounts/default": object("sa-1"), "pods/app": object("pod-1") },
    valid: true,
  },
  { name: "the bound pod is gone", token: pod, stored: { "serviceaccounts/default": object("sa-1") }, valid: false },
  {
    name: "the bound pod was recreated",
    token: pod,
    stored: { "serviceaccounts/default": object("sa-1"), "pods/app": object("pod-2") },
    valid: false,
  },
  {
    name: "the bound pod is terminating within its grace period",
    token: pod,
    stored: { "serviceaccounts/default": object("sa-1"), "pods/app": object("pod-1", secondsAgo(-20)) },
    valid: true,
  },
  {
    name: "the bound secret exists with its UID",
    token: secret,
    stored: { "serviceaccounts/default": object("sa-1"), "secrets/ci": object("secret-1") },
    valid: true,
  },
  {
    name: "the bound secret is gone",
    token: secret,
    stored: { "serviceaccounts/default": object("sa-1") },
    valid: false,
  },
];

for (const c of cases) {
  test(`${c.name}: ${c.valid ? "valid" : "invalid"}`, async () => {
    const get: CoreObjectGetter = async (plural, namespace, name) =>
      namespace === "team" ? c.stored[`${plural}/${name}`] : undefined;
    assert.equal(await validateServiceAccountToken(c.token, get, now), c.valid);
  });
}
