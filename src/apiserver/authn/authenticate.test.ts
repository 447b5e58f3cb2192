import assert from "node:assert/strict";
import { test } from "node:test";
import { authenticate } from "./authenticate.js";
import { StaticTokens, TokenFileError } from "./tokenfile.js";

const tokens = StaticTokens.parse(`# token,user,uid,groups
s3cr3t,alice,1001,"dev,ops"

r3ad3r,reader,1002
`);
const cases = [
  {
    name: "a verified client certificate is its CN with its O as groups",
    credentials: { clientCertificate: { verified: true, commonName: "admin", organizations: ["system:masters"] } },
    want: { name: "admin", groups: ["system:masters", "system:authenticated"] },
  },
  {
    name: "a static token is the user its line names, with its groups",
    credentials: { authorization: "Bearer s3cr3t" },
    want: { name: "alice", uid: "1001", groups: ["dev", "ops", "system:authenticated"] },
  },
  {
    name: "a token line without groups gives only system:authenticated",
    credentials: { authorization: "Bearer r3ad3r" },
    want: { name: "reader", uid: "1002", groups: ["system:authenticated"] },
  },
  {
    name: "no credentials at all is system:anonymous",
    credentials: {},
    want: { name: "system:anonymous", groups: ["system:unauthenticated"] },
  },
];
for (const c of cases) {
  test(c.name, async () => assert.deepEqual(await authenticate({ tokens, anonymous: true }, c.credentials), c.want));
}

const refused = [
  { name: "an unknown token", credentials: { authorization: "Bearer nope" } },
  { name: "a malformed Authorization header", credentials: { authorization: "Basic YWxpY2U6eA==" } },
  {
    name: "a certificate not signed by the client CA",
    credentials: { clientCertificate: { verified: false, commonName: "admin", organizations: ["system:masters"] } },
  },
];
for (const c of refused) {
  test(`${c.name} is refused with 401 Unauthorized, never taken as anonymous`, async () => {
    await assert.rejects(authenticate({ tokens, anonymous: true }, c.credentials), {
      code: 401,
      reason: "Unauthorized",
    });
  });
}

test("without anonymous auth, a request with no credentials is refused", async () => {
  await assert.rejects(authenticate({ anonymous: false }, {}), { code: 401 });
});

test("a token file with a short line or a duplicate token is refused with the line", () => {
  assert.throws(
    () => StaticTokens.parse("abc,alice\n"),
    (err) => err instanceof TokenFileError && /line 1/.test(err.message),
  );
  assert.throws(() => StaticTokens.parse("abc,alice,1\nabc,bob,2\n"), /line 2: duplicate token/);
});
