// The process guard, in a process of its own (the test runner has its own handlers): errors that escape a request
// handler are logged with that request and the process goes on serving.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { promisify } from "node:util";

const guard = fileURLToPath(new URL("./guard.ts", import.meta.url));

test("an exception thrown from an event and an unawaited rejection are logged with their request; the process lives on", async () => {
  const script = `
    import { EventEmitter } from "node:events";
    import { duringRequest, guardProcess } from ${JSON.stringify(guard)};
    guardProcess((message, fields) => console.log(JSON.stringify({ message, ...fields })));
    const socket = new EventEmitter();
    duringRequest("GET /containerLogs/%ZZ/a/b", () => setTimeout(() => socket.emit("error", new URIError("URI malformed"))));
    duringRequest("PATCH /api/v1/persistentvolumes/pv", () => void Promise.reject(new RangeError("Invalid array length")));
    setTimeout(() => console.log(JSON.stringify({ message: "still serving" })), 50);
  `;
  const { stdout } = await promisify(execFile)(process.execPath, [
    "--import",
    "tsx",
    "--input-type=module",
    "-e",
    script,
  ]);
  const lines = stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as { message: string; request?: string; err?: string });
  const escaped = (request: string) => lines.find((l) => l.request === request);
  assert.match(escaped("GET /containerLogs/%ZZ/a/b")?.err ?? "", /URIError: URI malformed/);
  assert.match(escaped("GET /containerLogs/%ZZ/a/b")?.message ?? "", /uncaught exception/);
  assert.match(escaped("PATCH /api/v1/persistentvolumes/pv")?.err ?? "", /RangeError: Invalid array length/);
  assert.match(escaped("PATCH /api/v1/persistentvolumes/pv")?.message ?? "", /unhandled rejection/);
  assert.equal(lines.at(-1)?.message, "still serving");
});
