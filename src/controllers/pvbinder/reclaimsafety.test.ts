// Delete and Recycle of hostPath volumes run as root: they touch only paths under an allowed root (upstream's
// /tmp/.+ by default, --hostpath-reclaim-root otherwise), never stowage's data dir or a directory containing it,
// and a refusal is a Failed volume whose event says why, with everything left in place.
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { pv, pvc } from "./testing/fixtures.js";
import { World } from "./testing/world.js";

async function tempDir(t: TestContext, prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Binds a claim to a hostPath volume with `policy`, deletes the claim, and lets the binder reclaim it. */
async function reclaim(
  policy: "Delete" | "Recycle",
  hostPath: string,
  options: ConstructorParameters<typeof World>[1],
) {
  const world = new World({ volumes: [pv("v", "1Gi", { policy, hostPath })], claims: [pvc("c", "1Gi")] }, options);
  await world.converge();
  world.deleteClaim("default", "c");
  await world.converge();
  return world;
}

const failure = (world: World) => world.events.find((e) => e.reason.startsWith("VolumeFailed"))?.message ?? "";

test("a hostPath outside the allowed roots is neither deleted nor recycled, with upstream's message", async (t) => {
  const root = await tempDir(t, "reclaim-root-");
  const elsewhere = await tempDir(t, "reclaim-elsewhere-");
  await writeFile(join(elsewhere, "keep"), "keep");
  for (const policy of ["Delete", "Recycle"] as const) {
    const world = await reclaim(policy, elsewhere, { hostPathReclaimRoots: [root] });
    assert.equal(world.volume("v")?.status?.phase, "Failed");
    const what = policy === "Delete" ? "deleter" : "recycler";
    assert.match(
      failure(world),
      new RegExp(`host_path ${what} only supports ${root}/\\.\\+ but received provided ${elsewhere}`),
    );
    assert.equal(await readFile(join(elsewhere, "keep"), "utf8"), "keep");
  }
  // the root itself is not "/tmp/.+"
  const world = await reclaim("Delete", root, { hostPathReclaimRoots: [root] });
  assert.equal(world.volume("v")?.status?.phase, "Failed");
});

test("the data dir, and any directory containing it, is never reclaimed even under an allowed root", async (t) => {
  const root = await tempDir(t, "reclaim-root-");
  const dataDir = join(root, "stowage", ".stowage");
  await mkdir(dataDir, { recursive: true });
  await writeFile(join(dataDir, "stowage.db"), "the store");
  await writeFile(join(root, "stowage", "notes"), "notes");
  for (const policy of ["Delete", "Recycle"] as const) {
    for (const hostPath of [dataDir, join(root, "stowage")]) {
      const world = await reclaim(policy, hostPath, { hostPathReclaimRoots: [root], protectedPaths: [dataDir] });
      assert.equal(world.volume("v")?.status?.phase, "Failed", `${policy} ${hostPath}`);
      assert.match(failure(world), /is or contains a protected directory \(stowage's data dir\); refusing/);
    }
  }
  assert.equal(await readFile(join(dataDir, "stowage.db"), "utf8"), "the store");
  assert.equal(await readFile(join(root, "stowage", "notes"), "utf8"), "notes");
  // a volume beside it is reclaimed as before
  await mkdir(join(root, "volume"));
  await writeFile(join(root, "volume", "data"), "x");
  const world = await reclaim("Delete", join(root, "volume"), {
    hostPathReclaimRoots: [root],
    protectedPaths: [dataDir],
  });
  assert.equal(world.volume("v"), undefined);
});
