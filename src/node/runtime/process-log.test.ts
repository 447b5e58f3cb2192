// Container logs rotate (the kubelet's --container-log-max-size and --container-log-max-files): a container that
// writes without end keeps at most max-files files of at most max-size each, every line whole, the newest last.
import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { test } from "node:test";
import { parseCriLine } from "../server/crilog.js";
import { ContainerLog } from "./process-log.js";

test("a log rotates at its max size and keeps max-files files, no line split", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "log-rotation-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, "0.log");
  const log = await ContainerLog.open(path, { maxSize: 4096, maxFiles: 3 });
  const stdout = new PassThrough();
  const done = log.follow(stdout, "stdout");
  for (let i = 0; i < 1000; i++) stdout.write(`line ${i} ${"x".repeat(40)}\n`);
  stdout.end();
  await done;
  await log.close();

  const files = (await readdir(dir)).sort();
  assert.equal(files.length, 3, files.join(" "));
  assert.equal(files[0], "0.log");
  for (const name of files.slice(1)) assert.match(name, /^0\.log\.\d{8}-\d{6}(\.\d+)?$/);
  for (const name of files) assert.ok((await stat(join(dir, name))).size <= 4096, `${name} is over the limit`);
  // every file is whole CRI lines, and the current one ends with the last line written
  const texts = await Promise.all(files.map((name) => readFile(join(dir, name))));
  for (const text of texts) {
    const lines = text.toString().split("\n").filter(Boolean);
    for (const line of lines)
      assert.match(parseCriLine(Buffer.from(`${line}\n`)).content.toString(), /^line \d+ x{40}\n$/);
  }
  assert.match(texts[0].toString(), /line 999 x{40}\n$/);
});
