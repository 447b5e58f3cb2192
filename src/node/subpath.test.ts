// subPath resolution inside a volume, and a pod whose subPath escapes through a symlink.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { bindSubPath, expandSubPathExpr, prepareSubPath, SubPathError } from "./subpath.js";
import { mountsUnder, unmount } from "../support/mount.js";
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

test("a subPath swapped for a symlink to the host while it is being mounted, in a loop, never mounts the host", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "subpath-race-"));
  const volume = join(dir, "volume");
  const host = join(dir, "host"); // stands for the node's /etc
  await mkdir(join(volume, "d"), { recursive: true });
  await writeFile(join(volume, "d", "mine"), "the pod's");
  await mkdir(host);
  await writeFile(join(host, "secret"), "the node's");
  // The container's side: swap d for a symlink to the host and back, as fast as it can, from another process.
  const swapper = spawn(
    "sh",
    ["-c", `cd ${volume} && while true; do mv d d.away; ln -s ${host} d; rm d; mv d.away d; done`],
    { stdio: "ignore" },
  );
  t.after(async () => {
    swapper.kill("SIGKILL");
    for (const target of await mountsUnder(join(dir, "subpaths"))) await unmount(target);
    await rm(dir, { recursive: true, force: true });
  });
  let mounted = 0;
  for (let i = 0; i < 200; i++) {
    const target = join(dir, "subpaths", String(i));
    try {
      const resolved = await prepareSubPath(volume, "d");
      await bindSubPath(volume, resolved, target);
    } catch (err) {
      // refused (the symlink was seen) or lost the race (d was away): that container waits, nothing is mounted
      if (!(err instanceof SubPathError) && (err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      continue;
    }
    mounted++;
    // (what is mounted is a directory of the volume: d, or one the resolution created while d was away)
    assert.ok(!(await readdir(target)).includes("secret"), `attempt ${i} mounted the host`);
  }
  assert.ok(mounted > 0, "no attempt mounted the subPath");
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
