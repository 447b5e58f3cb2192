// The token manager's refresh rule, on a clock the test moves: a token is reused until 80% of its lifetime (or 24
// hours) has gone, then requested again; a failed refresh keeps the old token while it has not expired.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { IssuedToken } from "../client/index.js";
import { TokenManager, type ServiceAccountTokenRequest } from "./tokenmanager.js";

const request = (expirationSeconds: number, podUid = "pod-1"): ServiceAccountTokenRequest => ({
  namespace: "team",
  serviceAccountName: "default",
  audiences: [],
  expirationSeconds,
  pod: { name: "app", uid: podUid },
});

function world() {
  let now = 0;
  let issued = 0;
  let failing = false;
  const asked: ServiceAccountTokenRequest[] = [];
  const manager = new TokenManager(
    async (r): Promise<IssuedToken> => {
      asked.push(r);
      if (failing) throw new Error('serviceaccounts "default" not found');
      issued++;
      return {
        token: `token-${issued}`,
        expirationTimestamp: new Date(now + r.expirationSeconds * 1000),
        expirationSeconds: r.expirationSeconds,
      };
    },
    () => now,
    () => 0, // no jitter: the rule's edges are exact
  );
  return {
    manager,
    asked,
    at: (ms: number) => (now = ms),
    fail: (value: boolean) => (failing = value),
  };
}

test("a token is reused until 80% of its lifetime has gone, then requested again", async () => {
  const w = world();
  const tr = request(600);
  assert.equal((await w.manager.getServiceAccountToken(tr)).token, "token-1");
  assert.equal(w.manager.fresh(tr)?.token, "token-1");
  w.at(479_000);
  assert.equal((await w.manager.getServiceAccountToken(tr)).token, "token-1", "79.8%: still fresh");
  w.at(480_000);
  assert.equal(w.manager.fresh(tr), undefined, "80%: the projected volume must be written again");
  assert.equal((await w.manager.getServiceAccountToken(tr)).token, "token-2");
  assert.equal(w.asked.length, 2);
});

test("a long-lived token is refreshed after 24 hours whatever its lifetime", async () => {
  const w = world();
  const tr = request(7 * 24 * 3600);
  await w.manager.getServiceAccountToken(tr);
  w.at(24 * 3600_000 - 1);
  assert.ok(w.manager.fresh(tr));
  w.at(24 * 3600_000);
  assert.equal(w.manager.fresh(tr), undefined);
});

test("a failed refresh keeps the unexpired token; once expired the failure is the answer", async () => {
  const w = world();
  const tr = request(600);
  await w.manager.getServiceAccountToken(tr);
  w.fail(true);
  w.at(500_000);
  assert.equal((await w.manager.getServiceAccountToken(tr)).token, "token-1");
  w.at(600_000);
  await assert.rejects(w.manager.getServiceAccountToken(tr), /serviceaccounts "default" not found/);
});

test("tokens are per pod and request; a pod's go with it", async () => {
  const w = world();
  await w.manager.getServiceAccountToken(request(600, "a"));
  await w.manager.getServiceAccountToken(request(600, "b"));
  await w.manager.getServiceAccountToken({ ...request(600, "a"), audiences: ["vault"] });
  assert.equal(w.asked.length, 3);
  w.manager.deletePodTokens("a");
  assert.equal(w.manager.fresh(request(600, "a")), undefined);
  assert.ok(w.manager.fresh(request(600, "b")));
});
