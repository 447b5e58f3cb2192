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

test("a node change appends one record to the journal, and a reopened file has it (a torn last line is skipped)", async (t) => {
  const dir = await tempDir(t);
  const state = await StateFile.open(dir);
  for (let i = 0; i < 3; i++) state.state.volumes[`v${i}`] = volume(`v${i}`, state.takeSeq());
  await state.save();
  state.state.volumes.v1.targets["/pods/a/mount"] = { readonly: false };
  await state.save({ volume: "v1" });
  const journal = await readFile(join(dir, "state.journal"), "utf8");
  assert.equal(journal.trim().split("\n").length, 1, "one line, not the whole state");
  assert.match(journal, /"volume":"v1"/);
  assert.doesNotMatch(await readFile(join(dir, "state.json"), "utf8"), /\/pods\/a\/mount/);

  await writeFile(join(dir, "state.journal"), `${journal}{"generation":1,"volume":"v2","rec`, { flag: "w" });
  const reopened = await StateFile.open(dir);
  assert.deepEqual(reopened.state.volumes.v1.targets, { "/pods/a/mount": { readonly: false } });
  assert.deepEqual(reopened.state.volumes.v2.targets, {});
  // Folded into state.json at open: the journal starts empty again.
  assert.match(await readFile(join(dir, "state.json"), "utf8"), /\/pods\/a\/mount/);
  assert.equal((await readFile(join(dir, "state.journal"), "utf8")).trim(), "");
});

test("journal lines written before a full save are never replayed over it (a deleted volume stays deleted)", async (t) => {
  const dir = await tempDir(t);
  const state = await StateFile.open(dir);
  state.state.volumes.v1 = volume("v1", state.takeSeq());
  await state.save();
  state.state.volumes.v1.staged["/stage/v1"] = { readonly: false };
  await state.save({ volume: "v1" });
  const journal = await readFile(join(dir, "state.journal"), "utf8");
  delete state.state.volumes.v1; // DeleteVolume: a full save
  await state.save();
  // Killed after the rename of state.json but before the journal was emptied.
  await writeFile(join(dir, "state.journal"), journal);
  const reopened = await StateFile.open(dir);
  assert.deepEqual(Object.keys(reopened.state.volumes), []);
});

test("concurrent node changes to many volumes all survive a reopen", async (t) => {
  const dir = await tempDir(t);
  const state = await StateFile.open(dir);
  for (let i = 0; i < 40; i++) state.state.volumes[`v${i}`] = volume(`v${i}`, state.takeSeq());
  await state.save();
  await Promise.all(
    Array.from({ length: 40 }, async (_, i) => {
      state.state.volumes[`v${i}`].staged[`/stage/${i}`] = { readonly: false };
      await state.save({ volume: `v${i}` });
      state.state.volumes[`v${i}`].targets[`/target/${i}`] = { readonly: true };
      await state.save({ volume: `v${i}` });
    }),
  );
  const reopened = await StateFile.open(dir);
  for (let i = 0; i < 40; i++) {
    assert.deepEqual(reopened.state.volumes[`v${i}`].staged, { [`/stage/${i}`]: { readonly: false } });
    assert.deepEqual(reopened.state.volumes[`v${i}`].targets, { [`/target/${i}`]: { readonly: true } });
  }
});

test("volumes created and deleted through the journal come back after a restart, and no seq is handed out twice", async (t) => {
  const dir = await tempDir(t);
  const state = await StateFile.open(dir);
  await Promise.all(
    Array.from({ length: 20 }, async (_, i) => {
      const id = `v${i}`;
      state.putVolume(volume(id, state.takeSeq()));
      await state.save({ volume: id });
    }),
  );
  state.removeVolume("v19"); // the newest: its seq must not come back
  await state.save({ volume: "v19" });
  assert.equal(state.volumeNamed("pvc-v19"), undefined);
  assert.equal(state.volumeNamed("pvc-v3")?.id, "v3");
  assert.ok((await readFile(join(dir, "state.journal"), "utf8")).includes('"record":null'), "journaled, not rewritten");

  const reopened = await StateFile.open(dir);
  assert.equal(Object.keys(reopened.state.volumes).length, 19);
  assert.equal(reopened.volumeNamed("pvc-v19"), undefined);
  assert.equal(reopened.takeSeq(), 21);
});

test("the bytes promised to volumes follow creates, growth and deletes, and are the same after a reopen", async (t) => {
  const dir = await tempDir(t);
  const state = await StateFile.open(dir);
  for (let i = 0; i < 5; i++) {
    state.putVolume(volume(`v${i}`, state.takeSeq())); // 1024 bytes each
    await state.save({ volume: `v${i}` });
  }
  state.resizeVolume(state.state.volumes.v1, 4096);
  await state.save({ volume: "v1" });
  state.removeVolume("v3");
  state.removeVolume("v3"); // a retried delete takes nothing twice
  await state.save({ volume: "v3" });
  assert.equal(state.usedBytes(), 3 * 1024 + 4096);
  await state.close();

  const reopened = await StateFile.open(dir);
  assert.equal(reopened.usedBytes(), 3 * 1024 + 4096);
  assert.equal(reopened.volumeNamed("pvc-v3"), undefined);
  await reopened.close();
});
