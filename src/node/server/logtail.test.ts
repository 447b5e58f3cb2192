// `kubectl logs --tail` and `--limit-bytes` on a large log: the tail is found from the end and the limit stops the
// reading, so neither reads the whole file into memory; the lines are the same as a whole-file read gives.
import assert from "node:assert/strict";
import { mkdtemp, open, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { formatCriLine, parseCriLine, tailStart } from "./crilog.js";
import { readContainerLog, type LogOptions } from "./logs.js";

async function read(path: string, options: Partial<LogOptions>): Promise<string> {
  const chunks: Buffer[] = [];
  const signal = new AbortController().signal;
  const all = { follow: false, previous: false, timestamps: false, ...options };
  for await (const chunk of readContainerLog(path, all, () => false, signal)) chunks.push(chunk);
  return Buffer.concat(chunks).toString();
}

test("--tail and --limit-bytes on a 48 MiB log read only what they return", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "logtail-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, "0.log");
  const file = await open(path, "w");
  const time = new Date("2025-01-01T00:00:00Z");
  const filler = "x".repeat(200);
  let lines = 0;
  for (let block = 0; block < 48 * 4; block++) {
    const text: string[] = [];
    for (let i = 0; i < 1024; i++) text.push(formatCriLine(time, "stdout", `line ${lines++} ${filler}`));
    await file.write(text.join(""));
  }
  await file.close();

  const before = process.memoryUsage().arrayBuffers;
  assert.equal(await read(path, { tailLines: 2 }), `line ${lines - 2} ${filler}\nline ${lines - 1} ${filler}\n`);
  assert.equal(await read(path, { limitBytes: 10 }), "line 0 xxx");
  const grown = process.memoryUsage().arrayBuffers - before;
  assert.ok(grown < 16 * 1024 * 1024, `reading the tail held ${grown} bytes`);

  // The same lines as the whole file gives, for a tail that spans many read blocks.
  const whole = await readFile(path);
  const expected = whole
    .subarray(tailStart(whole, 5000))
    .toString()
    .split("\n")
    .filter(Boolean)
    .map((line) => parseCriLine(Buffer.from(`${line}\n`)).content.toString())
    .join("");
  assert.equal(await read(path, { tailLines: 5000 }), expected);
  assert.equal(await read(path, { tailLines: 0 }), "");
});
