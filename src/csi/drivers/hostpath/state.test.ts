import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { StateCorruptError, StateFile } from "./state.js";

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "hp-state-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const volume = (id: string, seq: number) => ({
  id,
  name: `pvc-${id}`,
  seq,
  capacityBytes: 1024,
  requiredBytes: 1024,
  limitBytes: 0,
  parameters: {},
  createdAt: 0,
  publishedNodes: {},
  staged: {},
  targets: {},
});

test("changes saved concurrently all reach the disk, and a reopened file has them all", async (t) => {
  const dir = await tempDir(t);
  const state = await StateFile.open(dir);
  await Promise.all(
    Array.from({ length: 50 }, async (_, i) => {
      const id = `v${i}`;
      state.state.volumes[id] = volume(id, state.takeSeq());
      await state.save();
    }),
  );
  const reopened = await StateFile.open(dir);
  assert.equal(Object.keys(reopened.state.volumes).length, 50);
  assert.equal(reopened.state.nextSeq, 51);
});

test("a write torn by a crash (the temp file) is ignored: the last complete state loads", async (t) => {
  const dir = await tempDir(t);
  const state = await StateFile.open(dir);
  state.state.volumes.v1 = volume("v1", state.takeSeq());
  await state.save();
  await writeFile(join(dir, "state.json.tmp"), '{"version":1,"nextSeq":7,"volu'); // killed mid-write
  const reopened = await StateFile.open(dir);
  assert.deepEqual(Object.keys(reopened.state.volumes), ["v1"]);
  reopened.state.volumes.v2 = volume("v2", reopened.takeSeq());
  await reopened.save();
  const text = await readFile(join(dir, "state.json"), "utf8");
  assert.deepEqual(Object.keys((JSON.parse(text) as { volumes: object }).volumes), ["v1", "v2"]);
});

test("a damaged state file stops the driver at startup, naming the file", async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, "state.json"), '{"version":1,"nextSeq":2,"volumes":{"v1":{"id":"other"}},"snapshots":{}}');
  await assert.rejects(StateFile.open(dir), (err: unknown) => {
    assert.ok(err instanceof StateCorruptError);
    assert.match(err.message, /state\.json: volume "v1" is malformed/);
    return true;
  });
  await writeFile(join(dir, "state.json"), "not json");
  await assert.rejects(StateFile.open(dir), /state\.json: not JSON/);
});
