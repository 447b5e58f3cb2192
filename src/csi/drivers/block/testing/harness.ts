// Test harness for the block driver: a driver on a temp dir and socket, a typed client to it, and cleanup that
// releases every loop device and mount under that temp dir even when the test failed part way. Tests run in
// parallel with others on this machine, so we only ever touch devices and mounts whose paths are under our dir.
import type { TestContext } from "node:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CsiClient } from "../../../client.js";
import type { VolumeCapability } from "../../../generated/csi/v1/VolumeCapability.js";
import { run } from "../exec.js";
import { startDriver } from "../index.js";

export interface TestDriver {
  client: CsiClient;
  endpoint: string;
  nodeId: string;
  stop(): Promise<void>;
}

/** A temp dir for one test, removed (after releasing our loop devices and mounts under it) when the test ends. */
export async function testDir(t: TestContext, prefix = "stowage-block-"): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.after(async () => {
    await releaseEverythingUnder(dir);
    await rm(dir, { recursive: true, force: true });
  });
  return dir;
}

/** Starts the block driver in this process for node `nodeId`, on `stateDir` (the "cloud"), and connects to it. */
export async function startTestDriver(
  t: TestContext,
  dir: string,
  options: { nodeId?: string; stateDir?: string; capacity?: number; maxVolumesPerNode?: number } = {},
): Promise<TestDriver> {
  const nodeId = options.nodeId ?? "node-1";
  const endpoint = `unix://${join(dir, `${nodeId}.sock`)}`;
  const lines: string[] = [];
  const driver = await startDriver({
    endpoint,
    nodeId,
    stateDir: options.stateDir ?? join(dir, "state"),
    capacity: options.capacity,
    maxVolumesPerNode: options.maxVolumesPerNode,
    log: (line) => lines.push(line),
  });
  const client = await CsiClient.connect(endpoint, { readyTimeoutMs: 10_000 });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    client.close();
    await driver.stop();
  };
  t.after(stop); // registered after testDir's hook, so it runs first (after hooks run in reverse order)
  return { client, endpoint, nodeId, stop };
}

/** Loop devices whose backing file is under `dir`. */
export async function loopDevicesUnder(dir: string): Promise<Array<{ name: string; backFile: string }>> {
  const { stdout } = await run("losetup", ["--list", "--json", "--output", "NAME,BACK-FILE"]);
  if (!stdout.trim()) return [];
  const parsed = JSON.parse(stdout) as { loopdevices?: Array<{ name: string; "back-file": string | null }> };
  return (parsed.loopdevices ?? [])
    .map((d) => ({ name: d.name, backFile: d["back-file"] ?? "" }))
    .filter((d) => d.backFile.startsWith(`${dir}/`));
}

/** Mount points under `dir`, deepest last. */
export async function mountsUnder(dir: string): Promise<string[]> {
  const { stdout } = await run("findmnt", ["--list", "--noheadings", "--output", "TARGET"]);
  return stdout
    .split("\n")
    .map((line) => line.trim())
    .filter((target) => target === dir || target.startsWith(`${dir}/`));
}

/** Unmounts everything under `dir` (deepest first) and detaches loop devices backed by files under it. */
export async function releaseEverythingUnder(dir: string): Promise<void> {
  for (let i = 0; i < 8; i++) {
    const mounts = await mountsUnder(dir);
    if (mounts.length === 0) break;
    for (const target of mounts.sort((a, b) => b.length - a.length)) {
      await run("umount", [target]).catch(() => run("umount", ["--lazy", target]).catch(() => undefined));
    }
  }
  for (const device of await loopDevicesUnder(dir)) {
    await run("losetup", ["--detach", device.name]).catch(() => undefined);
  }
}

/** Runs a shell-free command and returns stdout (for df, blkid, … in assertions). */
export async function output(command: string, args: string[]): Promise<string> {
  return (await run(command, args)).stdout;
}

export const MiB = 1 << 20;

type AccessMode = NonNullable<VolumeCapability["access_mode"]>["mode"];

export function mountCapability(mode: AccessMode = "SINGLE_NODE_WRITER", fsType = ""): VolumeCapability {
  return { mount: { fs_type: fsType, mount_flags: [] }, access_mode: { mode } };
}

export function blockCapability(mode: AccessMode = "SINGLE_NODE_WRITER"): VolumeCapability {
  return { block: {}, access_mode: { mode } };
}

/** CreateVolume (mount, ext4 by default) → ControllerPublish to the driver's node → NodeStage → NodePublish. */
export async function createAndMount(
  driver: Pick<TestDriver, "client" | "nodeId">,
  dir: string,
  name: string,
  options: { bytes?: number; source?: { snapshot_id: string } | { volume_id: string } } = {},
): Promise<{ volumeId: string; staging: string; target: string; publishContext: Record<string, string> }> {
  const { client } = driver;
  const source = options.source;
  const created = await client.controller.CreateVolume({
    name,
    capacity_range: { required_bytes: options.bytes ?? 64 * MiB },
    volume_capabilities: [mountCapability()],
    volume_content_source: source ? ("snapshot_id" in source ? { snapshot: source } : { volume: source }) : undefined,
  });
  const volumeId = created.volume!.volume_id;
  const published = await client.controller.ControllerPublishVolume({
    volume_id: volumeId,
    node_id: driver.nodeId,
    volume_capability: mountCapability(),
  });
  const staging = join(dir, `${name}-staging`);
  const target = join(dir, `${name}-target`);
  await client.node.NodeStageVolume({
    volume_id: volumeId,
    staging_target_path: staging,
    volume_capability: mountCapability(),
    publish_context: published.publish_context,
    volume_context: created.volume!.volume_context,
  });
  await client.node.NodePublishVolume({
    volume_id: volumeId,
    staging_target_path: staging,
    target_path: target,
    volume_capability: mountCapability(),
    publish_context: published.publish_context,
  });
  return { volumeId, staging, target, publishContext: published.publish_context };
}

/** NodeUnpublish → NodeUnstage → ControllerUnpublish → DeleteVolume: the way back, as a CO walks it. */
export async function unmountAndDelete(
  driver: TestDriver,
  volume: { volumeId: string; staging: string; target: string },
): Promise<void> {
  const { client } = driver;
  await client.node.NodeUnpublishVolume({ volume_id: volume.volumeId, target_path: volume.target });
  await client.node.NodeUnstageVolume({ volume_id: volume.volumeId, staging_target_path: volume.staging });
  await client.controller.ControllerUnpublishVolume({ volume_id: volume.volumeId, node_id: driver.nodeId });
  await client.controller.DeleteVolume({ volume_id: volume.volumeId });
}

/** Filesystem size in bytes as df reports it for a mount point. */
export async function dfBytes(path: string): Promise<number> {
  const text = await output("df", ["--block-size=1", "--output=size", path]);
  return Number(text.trim().split("\n").pop());
}
