// subPath resolution inside a volume, and a pod whose subPath escapes through a symlink.
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, stat, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { expandSubPathExpr, prepareSubPath, SubPathError } from "./subpath.js";
import { deleteAllPods, eventually, pod, podEvents, startNodeTest } from "../e2e/node.js";

test("subPaths resolve inside the volume, are created when missing, and may not escape it", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "subpath-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const volume = join(dir, "volume");
  await mkdir(join(volume, "real"), { recursive: true });
  await symlink("real", join(volume, "inside"));
  await symlink("/etc", join(volume, "outside"));
  await symlink("../..", join(volume, "real/up"));

  assert.equal(await prepareSubPath(volume, "new/deeper"), join(volume, "new/deeper"));
  assert.equal((await stat(join(volume, "new/deeper"))).mode & 0o777, 0o750);
  assert.equal(await prepareSubPath(volume, "inside"), join(volume, "real"), "a symlink within the volume is followed");
  await assert.rejects(prepareSubPath(volume, "outside"), SubPathError);
  await assert.rejects(prepareSubPath(volume, "outside/passwd"), SubPathError);
  await assert.rejects(prepareSubPath(volume, "real/up"), SubPathError);
  await assert.rejects(prepareSubPath(volume, "../x"), SubPathError);
  await assert.rejects(prepareSubPath(volume, "/etc"), SubPathError);
});

test("subPathExpr expands the container's env values", () => {
  const container = { name: "c", env: [{ name: "POD", value: "web-0" }] };
  assert.equal(expandSubPathExpr("logs/$(POD)", container), "logs/web-0");
  assert.equal(expandSubPathExpr("$(MISSING)", container), "$(MISSING)");
});

test("a subPath symlink pointing outside the volume stops the container with CreateContainerConfigError and an event", async (t) => {
  const node = await startNodeTest(t);
  const dir = await mkdtemp(join(tmpdir(), "subpath-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await symlink("/etc", join(dir, "escape"));
  await node.client.pods.create(
    pod(
      "sneaky",
      [{ name: "host", hostPath: { path: dir, type: "Directory" } }],
      [{ name: "host", mountPath: "/data", subPath: "escape" }],
    ),
  );
  const waiting = await eventually(async () => {
    const p = await node.client.pods.get("default", "sneaky");
    return p.status?.containerStatuses?.[0].state?.waiting?.reason === "CreateContainerConfigError"
      ? p.status.containerStatuses[0].state.waiting
      : undefined;
  });
  assert.equal(waiting.message, 'failed to prepare subPath for volumeMount "host" of container "app"');
  assert.equal((await node.client.pods.get("default", "sneaky")).status?.phase, "Pending");
  assert.ok(
    (await podEvents(node, "sneaky")).includes(
      'Failed: Error: failed to prepare subPath for volumeMount "host" of container "app"',
    ),
  );
  await deleteAllPods(node);
});
