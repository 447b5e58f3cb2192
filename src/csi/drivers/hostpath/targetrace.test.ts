// A pod's directory swapped for a symlink to the host while the driver publishes and unpublishes into it, in a
// loop: the driver opens every component of a target path without following symlinks and mounts, unmounts and
// removes through those descriptors (mounts.ts), so nothing outside the pod's directory is ever mounted over,
// unmounted or removed. The "host" is a directory with a node mount on it, standing for /etc or /var/lib.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { lstat, mkdir, mkdtemp, readdir, rename, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { Code, CsiError } from "../../errors.js";
import type { VolumeCapability } from "../../generated/csi/v1/VolumeCapability.js";
import { bindMount, isMountPoint, mountsUnder, unmount } from "../../../support/mount.js";
import { repoRoot, startHostpath } from "./testing/driver.js";

const rwo: VolumeCapability = { mount: {}, access_mode: { mode: "SINGLE_NODE_WRITER" } };

/** Refused because the swap was seen (a symlink on the path) or the target was taken: that call is simply retried. */
const lostTheRace = (err: unknown) =>
  err instanceof CsiError && (err.code === Code.INVALID_ARGUMENT || err.code === Code.ALREADY_EXISTS);

test("a pod directory swapped for a symlink during publish and unpublish, in a loop, never reaches the host", async (t) => {
  const d = await startHostpath(t);
  const outside = await mkdtemp(join(tmpdir(), "hp-host-"));
  const host = join(outside, "host");
  const nodeData = join(outside, "node-data");
  await mkdir(join(host, "mount"), { recursive: true });
  await mkdir(nodeData);
  await writeFile(join(nodeData, "secret"), "the node's");
  await bindMount(nodeData, join(host, "mount"), false); // a node mount that must stay as it is
  const hostIntact = async () =>
    (await isMountPoint(join(host, "mount"))) &&
    (await mountsUnder(host)).length === 1 &&
    (await readdir(join(host, "mount"))).join() === "secret";

  const { volume } = await d.client.controller.CreateVolume({ name: "race", volume_capabilities: [rwo] });
  const id = volume!.volume_id;
  const staging = join(d.dir, "staging");
  await mkdir(staging);
  await d.client.node.NodeStageVolume({ volume_id: id, staging_target_path: staging, volume_capability: rwo });

  // pods/p is the pod's directory; pods/p.link a symlink to the host. The swapper exchanges the two names.
  const pod = join(d.dir, "pods", "p");
  await mkdir(pod, { recursive: true });
  await symlink(host, `${pod}.link`);
  const target = join(pod, "mount");
  const swapper = spawn(
    process.execPath,
    ["--import", "tsx", fileURLToPath(new URL("./testing/swapper.ts", import.meta.url)), pod, `${pod}.link`],
    { cwd: repoRoot, stdio: ["ignore", "pipe", "inherit"] },
  );
  const stopSwapper = async () => {
    if (swapper.exitCode !== null || swapper.signalCode !== null) return;
    const exited = once(swapper, "exit");
    swapper.kill("SIGKILL");
    await exited;
  };
  t.after(async () => {
    await stopSwapper();
    for (const mount of (await mountsUnder(outside)).reverse()) await unmount(mount);
    await rm(outside, { recursive: true, force: true });
  });
  await once(swapper.stdout!, "data"); // swapping

  let published = 0;
  let unpublished = 0;
  for (let i = 0; i < 150; i++) {
    try {
      await d.client.node.NodePublishVolume({
        volume_id: id,
        staging_target_path: staging,
        target_path: target,
        volume_capability: rwo,
      });
      published++;
    } catch (err) {
      if (!lostTheRace(err)) throw err;
    }
    assert.ok(await hostIntact(), `publish ${i} reached the host`);
    try {
      await d.client.node.NodeUnpublishVolume({ volume_id: id, target_path: target });
      unpublished++;
    } catch (err) {
      if (!lostTheRace(err)) throw err;
    }
    assert.ok(await hostIntact(), `unpublish ${i} reached the host`);
  }
  await stopSwapper();
  t.diagnostic(`${published} publishes and ${unpublished} unpublishes got through the swaps`);
  assert.ok(published > 0 && unpublished > 0, "the race was never lost by the swapper");

  // Swaps over: the pod's directory put back under its name, and a publish the swap carried off unmounted.
  if ((await lstat(pod)).isSymbolicLink()) {
    await rm(pod);
    await rename(`${pod}.link`, pod);
  }
  for (const mount of await mountsUnder(join(d.dir, "pods"))) await unmount(mount);
  await d.client.node.NodeUnstageVolume({ volume_id: id, staging_target_path: staging });
  assert.ok(await hostIntact());
});
