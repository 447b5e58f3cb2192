// Restart safety: the agent runs as `stowage node` in a child process and is SIGKILLed mid-flight; the restarted
// agent reconstructs what is mounted from its directory layout and the mount table, tears down what no pod needs
// and never mounts anything twice.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import type { ChildProcess } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { controllerManagerComponent, startAttacher, startHostpath } from "../e2e/parts.js";
import { startStowage } from "../e2e/stowage.js";
import type { VolumeAttachment } from "../api/storage/types.js";
import { createClient, Informer } from "../client/index.js";
import { listMounts, mountsUnder, unmount } from "../support/mount.js";
import { killProcess, spawnAgent } from "../e2e/agentprocess.js";
import { stowageBundle } from "../e2e/bundle.js";
import { csiClaim, csiDriverObject, eventually, nodeName, pod, type NodeTest } from "../e2e/node.js";

async function setup(t: TestContext) {
  const stowage = await startStowage(t, { store: "memory", components: [controllerManagerComponent] });
  const client = createClient(stowage.transport());
  const driver = await startHostpath(t, { nodeId: nodeName });
  const rootDir = await mkdtemp(join(tmpdir(), "node-"));
  // The agent starts from a bundle: the same code, a fraction of tsx's start-up time.
  const bundle = await stowageBundle(t);
  const agents: ChildProcess[] = [];
  t.after(async () => {
    for (const child of agents) await killProcess(child);
    const left = await mountsUnder(rootDir);
    for (const mount of [...left].reverse()) await unmount(mount).catch(() => undefined);
    await rm(rootDir, { recursive: true, force: true });
  });
  const start = async () => {
    const child = await spawnAgent({
      kubeconfig: stowage.kubeconfig,
      dataDir: stowage.dataDir,
      nodeName,
      rootDir,
      csiDrivers: [driver.endpoint],
      bundle,
    });
    agents.push(child);
    return child;
  };
  const test = { stowage, client, driver, rootDir } as unknown as NodeTest;
  return { test, client, rootDir, start };
}

/** Mount points under the root dir, each once; fails on any path mounted twice. */
async function mountTable(rootDir: string): Promise<string[]> {
  const points = (await listMounts()).map((m) => m.mountPoint).filter((p) => p.startsWith(`${rootDir}/`));
  const twice = points.filter((p, i) => points.indexOf(p) !== i);
  assert.deepEqual(twice, [], "no path is mounted twice");
  return points.map((p) => p.slice(rootDir.length + 1)).sort();
}

/** The mounts the running pods need: each pod's CSI target and emptyDir tmpfs, and one globalmount per volume. */
async function expectedMounts(node: { client: NodeTest["client"] }, staged: string[]): Promise<string[]> {
  const pods = await node.client.pods.list({ namespace: "default" });
  const out = [...staged];
  for (const p of pods.items) {
    if (p.metadata.deletionTimestamp) continue;
    for (const v of p.spec.volumes ?? []) {
      if (v.persistentVolumeClaim) {
        out.push(`pods/${p.metadata.uid}/volumes/kubernetes.io~csi/pv-${v.persistentVolumeClaim.claimName}/mount`);
      }
      if (v.emptyDir?.medium === "Memory") out.push(`pods/${p.metadata.uid}/volumes/kubernetes.io~empty-dir/${v.name}`);
    }
  }
  return out.sort();
}

test("a SIGKILLed agent, restarted, unmounts deleted pods' volumes, keeps running pods' mounts and mounts new ones once", async (t) => {
  const { test: node, client, rootDir, start } = await setup(t);
  await csiDriverObject(node);
  const claims = ["a", "b", "c"];
  const staged: Record<string, string> = {};
  for (const name of claims) {
    const { handle } = await csiClaim(node, name);
    staged[name] =
      `plugins/kubernetes.io/csi/hostpath.csi.stowage.dev/${createHash("sha256").update(handle).digest("hex")}/globalmount`;
  }
  let agent = await start();
  const volumesOf = (claim: string) => [
    { name: "data", persistentVolumeClaim: { claimName: claim } },
    { name: "ram", emptyDir: { medium: "Memory" as const } },
  ];
  await client.pods.create(pod("keep", volumesOf("a")));
  await client.pods.create(pod("gone", volumesOf("b")));
  await client.pods.create(pod("forced", [{ name: "ram", emptyDir: { medium: "Memory" } }]));
  await eventually(async () => {
    const pods = await client.pods.list({ namespace: "default" });
    return pods.items.every((p) => p.status?.phase === "Running") ? true : undefined;
  }, 20_000);
  assert.deepEqual(await mountTable(rootDir), await expectedMounts(node, [staged.a, staged.b]));

  // Crash, then change the world while the agent is down.
  await killProcess(agent);
  await client.pods.delete("default", "gone");
  // Force-deleted: gone from the API at once, so only the node's own directory says it had a tmpfs mounted.
  await client.pods.delete("default", "forced", { gracePeriodSeconds: 0 });
  await client.pods.create(pod("new", volumesOf("c")));
  // Churn: kill it again mid-flight a few times while it mounts and unmounts.
  for (let i = 0; i < 5; i++) {
    await client.pods.create(pod(`churn-${i}`, volumesOf(i % 2 ? "a" : "c")));
    agent = await start();
    await new Promise((r) => setTimeout(r, 150 + i * 60));
    await killProcess(agent);
    if (i % 2) await client.pods.delete("default", `churn-${i}`);
  }
  agent = await start();

  await eventually(async () => {
    const pods = await client.pods.list({ namespace: "default" });
    const names = pods.items.map((p) => p.metadata.name).sort();
    const running = pods.items.every((p) => p.status?.phase === "Running");
    return running && !names.includes("gone") && !names.includes("churn-1") && !names.includes("churn-3")
      ? true
      : undefined;
  }, 30_000);
  const want = await expectedMounts(node, [staged.a, staged.c]);
  await eventually(
    async () => (JSON.stringify(await mountTable(rootDir)) === JSON.stringify(want) ? true : undefined),
    10_000,
  );
  assert.deepEqual(await mountTable(rootDir), want, "exactly the mounts the running pods need");

  // Everything goes when the pods go: no mounts left, every volume unstaged.
  for (const p of (await client.pods.list({ namespace: "default" })).items) {
    await client.pods.delete("default", p.metadata.name ?? "");
  }
  await eventually(
    async () => ((await client.pods.list({ namespace: "default" })).items.length === 0 ? true : undefined),
    20_000,
  );
  await eventually(async () => ((await mountTable(rootDir)).length === 0 ? true : undefined), 10_000);
  await eventually(async () => ((await readdir(join(rootDir, "pods"))).length === 0 ? true : undefined), 10_000);
  await killProcess(agent);
});

test("a restarted agent never lets a volume it still has mounted be detached: the attachment goes only after unstage", async (t) => {
  const { test: node, client, rootDir, start } = await setup(t);
  await csiDriverObject(node, { attachRequired: true });
  const attacherStop = new AbortController();
  const attacher = await startAttacher({
    client,
    csi: node.driver.client,
    signal: attacherStop.signal,
    log: () => undefined,
  });
  t.after(async () => {
    attacherStop.abort();
    await attacher.stop();
  });
  const { handle } = await csiClaim(node, "a");
  const globalmount = join(
    rootDir,
    `plugins/kubernetes.io/csi/hostpath.csi.stowage.dev/${createHash("sha256").update(handle).digest("hex")}/globalmount`,
  );
  let agent = await start();
  await client.pods.create(pod("p", [{ name: "data", persistentVolumeClaim: { claimName: "a" } }]));
  await eventually(async () =>
    (await client.pods.get("default", "p")).status?.phase === "Running" ? true : undefined,
  );
  assert.ok((await mountsUnder(rootDir)).includes(globalmount), "staged");
  await eventually(async () => ((await client.nodes.get(nodeName)).status?.volumesInUse?.length ? true : undefined));

  // Down: the pod is force-deleted, so nothing but the node's volumesInUse holds the attachment.
  await killProcess(agent);
  await client.pods.delete("default", "p", { gracePeriodSeconds: 0 });

  // Watch for the detach to begin, and look at the node's mounts at that moment.
  const watching = new AbortController();
  t.after(() => watching.abort());
  const attachments = new Informer<VolumeAttachment>(client.volumeAttachments, { log: () => undefined });
  const mountedAtDetach: boolean[] = [];
  const onDetach = (attachment: VolumeAttachment) => {
    if (!attachment.metadata.deletionTimestamp || mountedAtDetach.length) return;
    mountedAtDetach.push(false);
    void mountsUnder(rootDir).then((mounts) => (mountedAtDetach[0] = mounts.includes(globalmount)));
  };
  attachments.onUpdate((_old, attachment) => onDetach(attachment));
  attachments.onDelete((attachment) =>
    onDetach({ ...attachment, metadata: { ...attachment.metadata, deletionTimestamp: "gone" } }),
  );
  void attachments.run(watching.signal);
  await attachments.waitForSync(watching.signal);
  assert.equal(attachments.list().length, 1, "still attached while the agent is down");

  agent = await start();
  await eventually(async () => ((await client.volumeAttachments.list()).items.length === 0 ? true : undefined), 20_000);
  await eventually(async () => ((await mountsUnder(rootDir)).length === 0 ? true : undefined));
  assert.deepEqual(mountedAtDetach, [false], "the volume was unstaged before its detach began");
  await killProcess(agent);
});
