import assert from "node:assert/strict";
import { test } from "node:test";
import { impersonatedUser, impersonationChecks, impersonationOf } from "./impersonation.js";

const admin = { name: "admin", groups: ["system:masters", "system:authenticated"] };

test("kubectl --as alice --as-group devs asks to impersonate the user and each group", () => {
  const wanted = impersonationOf({ "impersonate-user": "alice", "impersonate-group": "devs, ops" });
  assert.ok(wanted);
  assert.deepEqual(
    impersonationChecks(admin, wanted).map((a) => `${a.verb} ${a.apiGroup}/${a.resource} ${a.name}`),
    ["impersonate /users alice", "impersonate /groups devs", "impersonate /groups ops"],
  );
  assert.deepEqual(impersonatedUser(wanted), { name: "alice", groups: ["devs", "ops", "system:authenticated"] });
});

test("impersonating a ServiceAccount is checked on that ServiceAccount and gives its groups", () => {
  const wanted = impersonationOf({ "impersonate-user": "system:serviceaccount:team:backup" });
  assert.ok(wanted);
  const [check] = impersonationChecks(admin, wanted);
  assert.deepEqual([check.resource, check.namespace, check.name], ["serviceaccounts", "team", "backup"]);
  assert.deepEqual(impersonatedUser(wanted).groups, [
    "system:serviceaccounts",
    "system:serviceaccounts:team",
    "system:authenticated",
  ]);
});

test("no impersonation headers is no impersonation; groups without a user is a bad request", () => {
  assert.equal(impersonationOf({ accept: "application/json" }), undefined);
  assert.throws(() => impersonationOf({ "impersonate-group": "devs" }), { code: 400 });
});
