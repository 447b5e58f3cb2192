import assert from "node:assert/strict";
import { test } from "node:test";
import { ApiError, isConflict, isGone, isNotFound } from "./errors.js";
import { formatLabelSelector, jsonLines, toWatchEvent } from "./wire.js";

async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield new TextEncoder().encode(part);
}

test("watch events split anywhere across HTTP chunks are reassembled line by line", async () => {
  const text = '{"type":"ADDED","object":{"metadata":{"name":"é"}}}\n{"type":"BOOKMARK","object":{"metadata":{}}}\n';
  const bytes = new TextEncoder().encode(text);
  // Split inside the two-byte "é" and inside the second line.
  const parts = [bytes.slice(0, 43), bytes.slice(43, 60), bytes.slice(60)];
  const values: unknown[] = [];
  async function* source(): AsyncGenerator<Uint8Array> {
    yield* parts;
  }
  for await (const value of jsonLines(source())) values.push(value);
  assert.equal(values.length, 2);
  assert.equal((values[0] as { object: { metadata: { name: string } } }).object.metadata.name, "é");
  const last: unknown[] = [];
  for await (const value of jsonLines(chunks('{"a":1}\n{"b"', ":2}"))) last.push(value);
  assert.deepEqual(last, [{ a: 1 }, { b: 2 }]);
});

test("a watch ERROR event with 410 Gone is thrown as an ApiError that isGone recognises", () => {
  const event = {
    type: "ERROR",
    object: {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      reason: "Expired",
      code: 410,
      message: "too old resource version: 1 (5)",
    },
  };
  assert.throws(
    () => toWatchEvent(event),
    (err: unknown) => err instanceof ApiError && isGone(err) && err.message === "too old resource version: 1 (5)",
  );
});

test("a Status body becomes an ApiError with its code, reason, message and details", () => {
  const status = {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message: 'persistentvolumeclaims "data" not found',
    reason: "NotFound",
    details: { name: "data", kind: "persistentvolumeclaims" },
    code: 404,
  };
  const err = ApiError.fromResponse(404, new TextEncoder().encode(JSON.stringify(status)));
  assert.equal(err.code, 404);
  assert.equal(err.message, 'persistentvolumeclaims "data" not found');
  assert.equal(err.details?.name, "data");
  assert.ok(isNotFound(err));
  assert.ok(!isConflict(err));
  const html = ApiError.fromResponse(409, new TextEncoder().encode("<html>busy</html>"));
  assert.ok(isConflict(html), "a bare 409 still reads as a conflict");
});

test("label selectors are written as upstream's selector text", () => {
  assert.equal(formatLabelSelector({ app: "db", tier: "data" }), "app=db,tier=data");
  assert.equal(
    formatLabelSelector({
      matchLabels: { app: "db" },
      matchExpressions: [
        { key: "zone", operator: "In", values: ["b", "a"] },
        { key: "legacy", operator: "DoesNotExist" },
      ],
    }),
    "app=db,zone in (a,b),!legacy",
  );
});
