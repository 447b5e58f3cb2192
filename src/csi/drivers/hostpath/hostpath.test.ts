// What csi-sanity does not check: data actually moves through snapshots and clones, mounts are real and
// read-only when asked, paths cannot escape, bad requests name their field, and state survives a restart.
import assert from "node:assert/strict";
import { mkdir, readFile, readdir, rm, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { CsiError, Code } from "../../errors.js";
import type { CsiClient } from "../../client.js";
import type { VolumeCapability } from "../../generated/csi/v1/VolumeCapability.js";
import { mountAt } from "../../../support/mount.js";
import { TOPOLOGY_KEY } from "./context.js";
import { startHostpath, type InProcessDriver } from "./testing/driver.js";

const rwo: VolumeCapability = { mount: {}, access_mode: { mode: "SINGLE_NODE_WRITER" } };
const MiB = 1024 * 1024;

async function createVolume(client: CsiClient, name: string, extra: object = {}) {
  const { volume } = await client.controller.CreateVolume({
    name,
    volume_capabilities: [rwo],
    capacity_range: { required_bytes: 64 * MiB },
    ...extra,
  });
  assert.ok(volume);
  return volume;
}

/** Stages and publishes a volume; returns the target path the "pod" sees. */
async function mountVolume(d: InProcessDriver, volumeId: string, name: string, readonly = false): Promise<string> {
  const staging = join(d.dir, "staging", name);
  const target = join(d.dir, "pods", name, "mount");
  await mkdir(staging, { recursive: true });
  await d.client.node.NodeStageVolume({ volume_id: volumeId, staging_target_path: staging, volume_capability: rwo });
  await d.client.node.NodePublishVolume({
    volume_id: volumeId,
    staging_target_path: staging,
    target_path: target,
    volume_capability: rwo,
    readonly,
  });
  return target;
}

async function unmountVolume(d: InProcessDriver, volumeId: string, name: string): Promise<void> {
  await d.client.node.NodeUnpublishVolume({ volume_id: volumeId, target_path: join(d.dir, "pods", name, "mount") });
  await d.client.node.NodeUnstageVolume({ volume_id: volumeId, staging_target_path: join(d.dir, "staging", name) });
}

function expectCode(code: Code, message?: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof CsiError, `expected a CsiError, got ${String(err)}`);
    assert.equal(err.codeName, Code[code], err.message);
    if (message) assert.match(err.message, message);
    return true;
  };
}

test("a volume restored from a snapshot and a clone both contain the source's files", async (t) => {
  const d = await startHostpath(t);
  const source = await createVolume(d.client, "source");
  const target = await mountVolume(d, source.volume_id, "source");
  await mkdir(join(target, "dir"));
  await writeFile(join(target, "dir", "data.txt"), "written before the snapshot\n");
  await writeFile(join(target, ".hidden"), "dotfiles too\n");

  const { snapshot } = await d.client.controller.CreateSnapshot({ name: "snap-1", source_volume_id: source.volume_id });
  assert.ok(snapshot?.ready_to_use);
  assert.equal(snapshot.size_bytes, 64 * MiB);
  assert.ok(snapshot.creation_time && snapshot.creation_time.seconds > 0);
  // Written after the snapshot: must not appear in the restore, must appear in a later clone.
  await writeFile(join(target, "after.txt"), "written after the snapshot\n");

  const restored = await createVolume(d.client, "restored", {
    volume_content_source: { snapshot: { snapshot_id: snapshot.snapshot_id } },
  });
  assert.equal(restored.content_source?.snapshot?.snapshot_id, snapshot.snapshot_id);
  const clone = await createVolume(d.client, "clone", {
    volume_content_source: { volume: { volume_id: source.volume_id } },
  });
  assert.equal(clone.content_source?.volume?.volume_id, source.volume_id);

  const restoredPath = await mountVolume(d, restored.volume_id, "restored");
  assert.equal(await readFile(join(restoredPath, "dir", "data.txt"), "utf8"), "written before the snapshot\n");
  assert.equal(await readFile(join(restoredPath, ".hidden"), "utf8"), "dotfiles too\n");
  assert.deepEqual((await readdir(restoredPath)).sort(), [".hidden", "dir"]);

  const clonePath = await mountVolume(d, clone.volume_id, "clone");
  assert.equal(await readFile(join(clonePath, "after.txt"), "utf8"), "written after the snapshot\n");
  assert.equal(await readFile(join(clonePath, "dir", "data.txt"), "utf8"), "written before the snapshot\n");

  // The copies are independent of the source.
  await writeFile(join(clonePath, "dir", "data.txt"), "changed in the clone\n");
  assert.equal(await readFile(join(target, "dir", "data.txt"), "utf8"), "written before the snapshot\n");

  for (const [volume, name] of [
    [source, "source"],
    [restored, "restored"],
    [clone, "clone"],
  ] as const) {
    await unmountVolume(d, volume.volume_id, name);
  }
});

test("a restore smaller than its snapshot is refused with OUT_OF_RANGE", async (t) => {
  const d = await startHostpath(t);
  const source = await createVolume(d.client, "source");
  const { snapshot } = await d.client.controller.CreateSnapshot({ name: "snap", source_volume_id: source.volume_id });
  await assert.rejects(
    d.client.controller.CreateVolume({
      name: "too-small",
      volume_capabilities: [rwo],
      capacity_range: { required_bytes: MiB, limit_bytes: MiB },
      volume_content_source: { snapshot: { snapshot_id: snapshot!.snapshot_id } },
    }),
    expectCode(Code.OUT_OF_RANGE, /smaller than the source/),
  );
});

test("a read-only publish is a read-only bind mount; a read-write one is writable", async (t) => {
  const d = await startHostpath(t);
  const volume = await createVolume(d.client, "ro");
  const target = await mountVolume(d, volume.volume_id, "ro", true);
  const mount = await mountAt(target);
  assert.ok(mount, "target is a mount point");
  assert.ok(mount.options.includes("ro"));
  await assert.rejects(writeFile(join(target, "x"), "no"), { code: "EROFS" });
  // Asking again the same way is fine; asking read-write at the same target is a conflict.
  await d.client.node.NodePublishVolume({
    volume_id: volume.volume_id,
    staging_target_path: join(d.dir, "staging", "ro"),
    target_path: target,
    volume_capability: rwo,
    readonly: true,
  });
  await assert.rejects(
    d.client.node.NodePublishVolume({
      volume_id: volume.volume_id,
      staging_target_path: join(d.dir, "staging", "ro"),
      target_path: target,
      volume_capability: rwo,
      readonly: false,
    }),
    expectCode(Code.ALREADY_EXISTS),
  );
  await unmountVolume(d, volume.volume_id, "ro");
  assert.equal(await mountAt(target), undefined);
  await assert.rejects(readdir(target), { code: "ENOENT" }, "NodeUnpublishVolume removes the target directory");
});

test("publishing needs the volume staged first, and stats follow what is written", async (t) => {
  const d = await startHostpath(t);
  const volume = await createVolume(d.client, "stats");
  await assert.rejects(
    d.client.node.NodePublishVolume({
      volume_id: volume.volume_id,
      staging_target_path: join(d.dir, "never-staged"),
      target_path: join(d.dir, "t"),
      volume_capability: rwo,
    }),
    expectCode(Code.FAILED_PRECONDITION, /must be staged/),
  );
  const target = await mountVolume(d, volume.volume_id, "stats");
  const before = await d.client.node.NodeGetVolumeStats({ volume_id: volume.volume_id, volume_path: target });
  await writeFile(join(target, "blob"), Buffer.alloc(4 * MiB, 1));
  const after = await d.client.node.NodeGetVolumeStats({ volume_id: volume.volume_id, volume_path: target });
  const bytes = (r: typeof after) => r.usage.find((u) => u.unit === "BYTES")!;
  const inodes = (r: typeof after) => r.usage.find((u) => u.unit === "INODES")!;
  assert.equal(bytes(after).total, 64 * MiB);
  assert.ok(bytes(after).used - bytes(before).used >= 4 * MiB, "used bytes grew by the file written");
  assert.equal(bytes(after).available, 64 * MiB - bytes(after).used);
  assert.equal(inodes(after).used, inodes(before).used + 1);
  assert.equal(after.volume_condition?.abnormal, false);
  await unmountVolume(d, volume.volume_id, "stats");
});

test("paths that climb out with .. or go through a symlink are refused", async (t) => {
  const d = await startHostpath(t);
  const volume = await createVolume(d.client, "escape");
  const staging = join(d.dir, "staging", "escape");
  await mkdir(staging, { recursive: true });
  await assert.rejects(
    d.client.node.NodeStageVolume({
      volume_id: volume.volume_id,
      staging_target_path: `${d.dir}/staging/../../etc`,
      volume_capability: rwo,
    }),
    expectCode(Code.INVALID_ARGUMENT, /must not contain "\.\."/),
  );
  await d.client.node.NodeStageVolume({
    volume_id: volume.volume_id,
    staging_target_path: staging,
    volume_capability: rwo,
  });

  // A pod directory whose mount point was swapped for a symlink to somewhere else.
  const elsewhere = join(d.dir, "elsewhere");
  await mkdir(elsewhere);
  await mkdir(join(d.dir, "pods"), { recursive: true });
  await symlink(elsewhere, join(d.dir, "pods", "link"));
  await assert.rejects(
    d.client.node.NodePublishVolume({
      volume_id: volume.volume_id,
      staging_target_path: staging,
      target_path: join(d.dir, "pods", "link"),
      volume_capability: rwo,
    }),
    expectCode(Code.INVALID_ARGUMENT, /symlink/),
  );
  assert.equal(await mountAt(elsewhere), undefined, "nothing was mounted through the symlink");

  // A volume directory replaced by a symlink to a directory outside the driver's root is never mounted.
  const other = await createVolume(d.client, "swapped");
  const volumeDir = join(d.stateDir, "volumes", other.volume_id);
  await rm(volumeDir, { recursive: true });
  await symlink(elsewhere, volumeDir);
  await mkdir(join(d.dir, "staging", "swapped"), { recursive: true });
  await assert.rejects(
    d.client.node.NodeStageVolume({
      volume_id: other.volume_id,
      staging_target_path: join(d.dir, "staging", "swapped"),
      volume_capability: rwo,
    }),
    expectCode(Code.FAILED_PRECONDITION, /refusing/),
  );
  const condition = await d.client.controller.ControllerGetVolume({ volume_id: other.volume_id });
  assert.equal(condition.status?.volume_condition?.abnormal, true);
  await d.client.node.NodeUnstageVolume({ volume_id: volume.volume_id, staging_target_path: staging });
});

const missingFieldCases: Array<{ name: string; call: (c: CsiClient) => Promise<unknown>; field: string }> = [
  {
    name: "CreateVolume without name",
    call: (c) => c.controller.CreateVolume({ volume_capabilities: [rwo] }),
    field: "name",
  },
  {
    name: "CreateVolume without capabilities",
    call: (c) => c.controller.CreateVolume({ name: "x" }),
    field: "volume_capabilities",
  },
  {
    name: "CreateVolume with a capability lacking its access mode",
    call: (c) => c.controller.CreateVolume({ name: "x", volume_capabilities: [{ mount: {} }] }),
    field: "volume_capabilities\\[0\\].access_mode",
  },
  { name: "DeleteVolume without volume_id", call: (c) => c.controller.DeleteVolume({}), field: "volume_id" },
  {
    name: "ControllerPublishVolume without node_id",
    call: (c) => c.controller.ControllerPublishVolume({ volume_id: "v", volume_capability: rwo }),
    field: "node_id",
  },
  {
    name: "CreateSnapshot without source_volume_id",
    call: (c) => c.controller.CreateSnapshot({ name: "s" }),
    field: "source_volume_id",
  },
  {
    name: "ControllerExpandVolume without capacity_range",
    call: (c) => c.controller.ControllerExpandVolume({ volume_id: "v" }),
    field: "capacity_range",
  },
  {
    name: "NodeStageVolume without staging_target_path",
    call: (c) => c.node.NodeStageVolume({ volume_id: "v", volume_capability: rwo }),
    field: "staging_target_path",
  },
  {
    name: "NodePublishVolume without target_path",
    call: (c) => c.node.NodePublishVolume({ volume_id: "v", volume_capability: rwo }),
    field: "target_path",
  },
  {
    name: "NodeGetVolumeStats without volume_path",
    call: (c) => c.node.NodeGetVolumeStats({ volume_id: "v" }),
    field: "volume_path",
  },
];

test("a request missing a required field gets INVALID_ARGUMENT naming the field", async (t) => {
  const d = await startHostpath(t);
  for (const c of missingFieldCases) {
    await assert.rejects(c.call(d.client), expectCode(Code.INVALID_ARGUMENT, new RegExp(`^${c.field}`)), c.name);
  }
});

test("capacity is accounted: GetCapacity shrinks, an impossible range is OUT_OF_RANGE, too much is RESOURCE_EXHAUSTED", async (t) => {
  const d = await startHostpath(t, { capacity: 256 * MiB });
  const before = await d.client.controller.GetCapacity({});
  assert.equal(before.available_capacity, 256 * MiB);
  await createVolume(d.client, "a");
  assert.equal((await d.client.controller.GetCapacity({})).available_capacity, 192 * MiB);
  const elsewhere = await d.client.controller.GetCapacity({
    accessible_topology: { segments: { [TOPOLOGY_KEY]: "node-2" } },
  });
  assert.equal(elsewhere.available_capacity, 0, "no capacity on a node this driver does not serve");
  await assert.rejects(
    d.client.controller.CreateVolume({
      name: "b",
      volume_capabilities: [rwo],
      capacity_range: { required_bytes: 2 * MiB, limit_bytes: MiB },
    }),
    expectCode(Code.OUT_OF_RANGE),
  );
  await assert.rejects(
    d.client.controller.CreateVolume({
      name: "c",
      volume_capabilities: [rwo],
      capacity_range: { required_bytes: 200 * MiB },
    }),
    expectCode(Code.RESOURCE_EXHAUSTED, /not enough capacity/),
  );
  await assert.rejects(
    d.client.controller.CreateVolume({
      name: "d",
      volume_capabilities: [rwo],
      accessibility_requirements: { requisite: [{ segments: { [TOPOLOGY_KEY]: "node-2" } }] },
    }),
    expectCode(Code.RESOURCE_EXHAUSTED, /only be created on node node-1/),
  );
});

test("two CreateVolume calls with the same name at once never make two volumes", async (t) => {
  const d = await startHostpath(t);
  const results = await Promise.allSettled(Array.from({ length: 8 }, () => createVolume(d.client, "racy")));
  const ids = new Set(results.flatMap((r) => (r.status === "fulfilled" ? [r.value.volume_id] : [])));
  assert.equal(ids.size, 1);
  for (const r of results) {
    if (r.status === "rejected") expectCode(Code.ABORTED)(r.reason);
  }
  assert.equal((await d.client.controller.ListVolumes({})).entries.length, 1);
  assert.equal((await readdir(join(d.stateDir, "volumes"))).length, 1);
});

test("a deleted volume in use is refused until it is unpublished everywhere", async (t) => {
  const d = await startHostpath(t);
  const volume = await createVolume(d.client, "busy");
  await d.client.controller.ControllerPublishVolume({
    volume_id: volume.volume_id,
    node_id: "node-1",
    volume_capability: rwo,
  });
  await assert.rejects(
    d.client.controller.DeleteVolume({ volume_id: volume.volume_id }),
    expectCode(Code.FAILED_PRECONDITION, /published to node node-1/),
  );
  await assert.rejects(
    d.client.controller.ControllerPublishVolume({
      volume_id: volume.volume_id,
      node_id: "node-2",
      volume_capability: rwo,
    }),
    expectCode(Code.NOT_FOUND, /node node-2 not found/),
  );
  await d.client.controller.ControllerUnpublishVolume({ volume_id: volume.volume_id, node_id: "node-1" });
  await d.client.controller.DeleteVolume({ volume_id: volume.volume_id });
  await d.client.controller.DeleteVolume({ volume_id: volume.volume_id }); // idempotent
  assert.deepEqual(await readdir(join(d.stateDir, "volumes")), []);
});

test("a restarted driver remembers volumes, snapshots and publications", async (t) => {
  const d = await startHostpath(t);
  const volume = await createVolume(d.client, "durable");
  const target = await mountVolume(d, volume.volume_id, "durable");
  await writeFile(join(target, "kept"), "across restarts\n");
  await d.client.controller.ControllerExpandVolume({
    volume_id: volume.volume_id,
    capacity_range: { required_bytes: 128 * MiB },
  });
  const { snapshot } = await d.client.controller.CreateSnapshot({ name: "s", source_volume_id: volume.volume_id });

  await d.restart();

  const listed = await d.client.controller.ListVolumes({});
  assert.deepEqual(
    listed.entries.map((e) => [e.volume?.volume_id, e.volume?.capacity_bytes]),
    [[volume.volume_id, 128 * MiB]],
  );
  assert.deepEqual(
    (await d.client.controller.ListSnapshots({})).entries.map((e) => e.snapshot?.snapshot_id),
    [snapshot!.snapshot_id],
  );
  // The same publish again is recognised as done, and the stats still find the mount.
  const again = await mountVolume(d, volume.volume_id, "durable");
  assert.equal(again, target);
  const stats = await d.client.node.NodeGetVolumeStats({ volume_id: volume.volume_id, volume_path: target });
  assert.equal(stats.usage.find((u) => u.unit === "BYTES")?.total, 128 * MiB);
  assert.equal(await readFile(join(target, "kept"), "utf8"), "across restarts\n");
  await unmountVolume(d, volume.volume_id, "durable");
});

test("ListVolumes pages stay correct when volumes are added or deleted between pages", async (t) => {
  const d = await startHostpath(t);
  const ids: string[] = [];
  for (const name of ["a", "b", "c", "d", "e"]) ids.push((await createVolume(d.client, name)).volume_id);
  const first = await d.client.controller.ListVolumes({ max_entries: 2 });
  assert.deepEqual(
    first.entries.map((e) => e.volume?.volume_id),
    ids.slice(0, 2),
  );
  assert.notEqual(first.next_token, "");
  // Between pages: the last volume of the first page goes, a new one comes.
  await d.client.controller.DeleteVolume({ volume_id: ids[1] });
  const added = await createVolume(d.client, "f");
  const rest = await d.client.controller.ListVolumes({ starting_token: first.next_token });
  assert.deepEqual(
    rest.entries.map((e) => e.volume?.volume_id),
    [...ids.slice(2), added.volume_id],
  );
  assert.equal(rest.next_token, "");
  await assert.rejects(d.client.controller.ListVolumes({ starting_token: "bogus" }), expectCode(Code.ABORTED));
});

test("every access mode is served for mount volumes, and block is refused as unsupported", async (t) => {
  const d = await startHostpath(t);
  const caps = await d.client.controllerCapabilities();
  assert.ok(caps.has("SINGLE_NODE_MULTI_WRITER"), "ReadWriteOncePod can map to SINGLE_NODE_SINGLE_WRITER");
  const volume = await createVolume(d.client, "modes");
  for (const mode of ["SINGLE_NODE_SINGLE_WRITER", "SINGLE_NODE_MULTI_WRITER", "MULTI_NODE_MULTI_WRITER"] as const) {
    const result = await d.client.controller.ValidateVolumeCapabilities({
      volume_id: volume.volume_id,
      volume_capabilities: [{ mount: {}, access_mode: { mode } }],
    });
    assert.ok(result.confirmed, `${mode} confirmed`);
  }
  const block = await d.client.controller.ValidateVolumeCapabilities({
    volume_id: volume.volume_id,
    volume_capabilities: [{ block: {}, access_mode: { mode: "SINGLE_NODE_WRITER" } }],
  });
  assert.equal(block.confirmed, null);
  assert.match(block.message, /block is not supported/);
  await assert.rejects(
    d.client.controller.CreateVolume({
      name: "raw",
      volume_capabilities: [{ block: {}, access_mode: { mode: "SINGLE_NODE_WRITER" } }],
    }),
    expectCode(Code.INVALID_ARGUMENT, /block is not supported/),
  );
});
