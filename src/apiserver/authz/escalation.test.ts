// Does what a user holds cover what a role would grant? Each row a case of upstream's Covers / ConfirmNoEscalation.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { PolicyRule } from "../../api/rbac/types.js";
import { escalationMessage, uncovered } from "./escalation.js";

const rule = (verbs: string[], apiGroups: string[], resources: string[], resourceNames?: string[]): PolicyRule => ({
  verbs,
  apiGroups,
  resources,
  ...(resourceNames ? { resourceNames } : {}),
});
const urls = (verbs: string[], nonResourceURLs: string[]): PolicyRule => ({ verbs, nonResourceURLs });

const rows: { name: string; held: PolicyRule[]; wanted: PolicyRule[]; covered: boolean }[] = [
  {
    name: "* on *.* covers anything",
    held: [rule(["*"], ["*"], ["*"])],
    wanted: [rule(["delete"], [""], ["secrets"])],
    covered: true,
  },
  {
    name: "verbs held across two rules cover one rule granting both",
    held: [rule(["get"], [""], ["pods"]), rule(["list"], [""], ["pods"])],
    wanted: [rule(["get", "list"], [""], ["pods"])],
    covered: true,
  },
  {
    name: "a resource does not cover its subresource",
    held: [rule(["get"], [""], ["pods"])],
    wanted: [rule(["get"], [""], ["pods/log"])],
    covered: false,
  },
  {
    name: "*/scale covers every scale subresource",
    held: [rule(["update"], ["apps"], ["*/scale"])],
    wanted: [rule(["update"], ["apps"], ["statefulsets/scale"])],
    covered: true,
  },
  {
    name: "a rule for one name does not cover a rule for every name",
    held: [rule(["get"], [""], ["secrets"], ["a"])],
    wanted: [rule(["get"], [""], ["secrets"])],
    covered: false,
  },
  {
    name: "a rule for every name covers a rule for one name",
    held: [rule(["get"], [""], ["secrets"])],
    wanted: [rule(["get"], [""], ["secrets"], ["a"])],
    covered: true,
  },
  {
    name: "the group matters",
    held: [rule(["get"], ["apps"], ["pods"])],
    wanted: [rule(["get"], [""], ["pods"])],
    covered: false,
  },
  {
    name: "a URL prefix covers the URLs under it",
    held: [urls(["get"], ["/apis/*"])],
    wanted: [urls(["get"], ["/apis/apps"])],
    covered: true,
  },
  {
    name: "resource rules do not cover URLs",
    held: [rule(["*"], ["*"], ["*"])],
    wanted: [urls(["get"], ["/healthz"])],
    covered: false,
  },
];
for (const row of rows) test(row.name, () => assert.equal(uncovered(row.held, row.wanted).length === 0, row.covered));

test("the message lists what is missing, compacted per resource and sorted, as upstream's", () => {
  const user = { name: "dana", groups: ["devs", "system:authenticated"] };
  const wanted = [rule(["get", "delete"], ["", "apps"], ["secrets"]), urls(["get"], ["/metrics"])];
  assert.equal(
    escalationMessage(user, [rule(["get"], ["apps"], ["secrets"])], wanted, [
      'clusterroles.rbac.authorization.k8s.io "gone" not found',
    ]),
    'user "dana" (groups=["devs" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n' +
      '{APIGroups:[""], Resources:["secrets"], Verbs:["get" "delete"]}\n' +
      '{APIGroups:["apps"], Resources:["secrets"], Verbs:["delete"]}\n' +
      '{NonResourceURLs:["/metrics"], Verbs:["get"]}' +
      '; resolution errors: [clusterroles.rbac.authorization.k8s.io "gone" not found]',
  );
  assert.equal(escalationMessage(user, [rule(["*"], ["*"], ["*"]), urls(["*"], ["*"])], wanted), undefined);
});
