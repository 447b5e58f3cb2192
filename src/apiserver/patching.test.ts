// How a failed patch is answered: each PatchError code as upstream's Status reason, and the underlying text of a
// generic message as a cause on "patch" (what kubectl prints after "The request is invalid:").
import assert from "node:assert/strict";
import { test } from "node:test";
import { MemoryStore } from "../store/memory.js";
import { PatchError } from "./patch/errors.js";
import { patchStatus } from "./patching.js";
import { createApiServer } from "./server.js";
import { call, pv } from "./testing/request.js";

const cases = [
  { code: 400, reason: "BadRequest" },
  { code: 413, reason: "RequestEntityTooLarge" },
  { code: 415, reason: "UnsupportedMediaType" },
  { code: 422, reason: "Invalid" },
] as const;
for (const c of cases) {
  test(`a patch failing with ${c.code} is answered ${c.code} ${c.reason}`, () => {
    const status = patchStatus(new PatchError(c.code, c.reason, "what upstream says", "why")).toStatus();
    assert.equal(status.code, c.code);
    assert.equal(status.reason, c.reason);
    assert.equal(status.message, "what upstream says");
    assert.deepEqual(status.details?.causes, [{ reason: "UnexpectedServerResponse", field: "patch", message: "why" }]);
  });
}

test("a failing JSON Patch test op answers 422 with the failed test as a cause on patch, store unchanged", async (t) => {
  const store = new MemoryStore();
  const server = await createApiServer({ store, compactionIntervalMs: 0 });
  t.after(async () => {
    await server.close();
    await store.close();
  });
  await call(server.handler, "POST", "/api/v1/persistentvolumes", pv("disk"));
  const before = await store.currentRevision();
  const answer = await call(
    server.handler,
    "PATCH",
    "/api/v1/persistentvolumes/disk",
    '[{"op":"test","path":"/spec/capacity/storage","value":"1Gi"}]',
    { "content-type": "application/json-patch+json" },
  );
  assert.equal(answer.status, 422);
  assert.equal(answer.body.reason, "Invalid");
  assert.equal(answer.body.message, "the server rejected our request due to an error in our request");
  assert.deepEqual(answer.body.details.causes, [
    {
      reason: "UnexpectedServerResponse",
      field: "patch",
      message: "testing value /spec/capacity/storage failed: test failed",
    },
  ]);
  assert.equal(await store.currentRevision(), before);
});
