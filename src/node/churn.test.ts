// Issue 7's acceptance churn: the agent, a real `stowage node` process, is SIGKILLed 50 times at random moments while
// 100 pods come and go (each with a CSI hostpath claim that needs attaching, and a tmpfs emptyDir). Afterwards
// findmnt shows exactly the mounts the remaining pods need (their publish targets, their tmpfs, one globalmount per
// volume still in use; nothing twice), the deleted pods' volumes are unstaged and their VolumeAttachments gone, no
// deleted pod's directory is left, and no detach ever began while its volume was still staged on the node. Only kills
// that land while a pod is being set up or torn down count. STOWAGE_CHURN_KILLS / STOWAGE_CHURN_PODS change the size,
// STOWAGE_CHURN_SEED replays a run.
import assert from "node:assert/strict";
import { execFile, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import type { Pod } from "../api/core/types.js";
import { DRIVER_NAME, controllerManagerComponent, startAttacher, startHostpath } from "../e2e/parts.js";
import { startStowage } from "../e2e/stowage.js";
import type { VolumeAttachment } from "../api/storage/types.js";
import { createClient, Informer } from "../client/index.js";
import { mountsUnder, unmount } from "../support/mount.js";
import { killProcess, spawnAgent } from "../e2e/agentprocess.js";
import { stowageBundle } from "../e2e/bundle.js";
import { csiClaim, csiDriverObject, eventually, nodeName, pod, type NodeTest } from "../e2e/node.js";
import { seededRandom } from "../e2e/random.js";

const kills = Number(process.env.STOWAGE_CHURN_KILLS ?? 50);
const podCount = Number(process.env.STOWAGE_CHURN_PODS ?? 100);
const claimCount = 12;
const trace = Boolean(process.env.STOWAGE_CHURN_TRACE);
const run = promisify(execFile);

/** findmnt's mount points under the root dir, relative to it; fails on a path mounted twice. */
async function findmntUnder(rootDir: string): Promise<string[]> {
  const { stdout } = await run("findmnt", ["-rn", "-o", "TARGET"]);
  // findmnt -r escapes blanks and the like as \x20; our paths have none.
  const points = stdout.split("\n").filter((p) => p.startsWith(`${rootDir}/`));
  const twice = points.filter((p, i) => points.indexOf(p) !== i);
  assert.deepEqual(twice, [], "no path is mounted twice");
  return points.map((p) => p.slice(rootDir.length + 1)).sort();
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

test(`the agent SIGKILLed ${kills} times during churn of ${podCount} pods leaves exactly the mounts and attachments the remaining pods need`, async (t) => {
  const rand = seededRandom(t, "STOWAGE_CHURN_SEED");
  const began = Date.now();
  const phase = (what: string) => t.diagnostic(`${what} at ${((Date.now() - began) / 1000).toFixed(1)} s`);
  const stowage = await startStowage(t, { store: "memory", components: [controllerManagerComponent] });
  const client = createClient(stowage.transport());
  const driver = await startHostpath(t, { nodeId: nodeName });
  const rootDir = await mkdtemp(join(tmpdir(), "churn-"));
  const bundle = await stowageBundle(t);
  let agent: ChildProcess | undefined;
  const attacherStop = new AbortController();
  t.after(async () => {
    attacherStop.abort();
    if (agent) await killProcess(agent);
    const left = await mountsUnder(rootDir);
    for (const mount of [...left].reverse()) await unmount(mount).catch(() => undefined);
    await rm(rootDir, { recursive: true, force: true });
  });
  const startAgent = () =>
    spawnAgent({
      kubeconfig: stowage.kubeconfig,
      dataDir: stowage.dataDir,
      nodeName,
      rootDir,
      csiDrivers: [driver.endpoint],
      bundle,
    });

  // The driver needs attaching: every volume goes through a VolumeAttachment, attached by the csi-attacher.
  const node = { client, driver } as unknown as NodeTest;
  await csiDriverObject(node, { attachRequired: true });
  const attacher = await startAttacher({
    client,
    csi: driver.client,
    signal: attacherStop.signal,
    log: () => undefined,
  });
  t.after(() => attacher.stop());
  const handles = new Map<string, string>(); // PV name → volume handle
  for (let i = 0; i < claimCount; i++) {
    const { pv, handle } = await csiClaim(node, `c${i}`);
    handles.set(pv.metadata.name ?? "", handle);
  }

  // Detach must wait for the node to let go: whenever an attachment starts going, its volume must not be staged.
  const detachedWhileMounted: string[] = [];
  const watching = new AbortController();
  t.after(() => watching.abort());
  const attachmentInformer = new Informer<VolumeAttachment>(client.volumeAttachments, { log: () => undefined });
  const seenGoing = new Set<string>();
  const onDetach = (attachment: VolumeAttachment) => {
    const name = attachment.metadata.name ?? "";
    if (seenGoing.has(name)) return;
    seenGoing.add(name);
    const pv = attachment.spec.source.persistentVolumeName ?? "";
    const staged = join(
      rootDir,
      `plugins/kubernetes.io/csi/${DRIVER_NAME}/${sha256(handles.get(pv) ?? "")}/globalmount`,
    );
    void mountsUnder(rootDir).then(async (mounts) => {
      if (!mounts.includes(staged)) return;
      detachedWhileMounted.push(pv);
      if (!trace) return;
      const inUse = (await client.nodes.get(nodeName)).status?.volumesInUse ?? [];
      const users = (await client.pods.list({ namespace: "default" })).items
        .filter((p) => p.spec.volumes?.[0].persistentVolumeClaim?.claimName === pv.slice(3))
        .map((p) => `${p.metadata.name}${p.metadata.deletionTimestamp ? "(deleting)" : ""}:${p.status?.phase}`);
      t.diagnostic(
        `detach of ${pv} began while staged; agent ${agent ? "up" : "down"}; volumesInUse has it: ${inUse.some((v) => v.endsWith(handles.get(pv) ?? "-"))}; pods: ${users.join(" ")}; attached: ${attachment.status?.attached}`,
      );
    });
  };
  attachmentInformer.onUpdate((_old, attachment) => {
    if (attachment.metadata.deletionTimestamp) onDetach(attachment);
  });
  attachmentInformer.onDelete(onDetach);
  attachmentInformer.onAdd((attachment) => seenGoing.delete(attachment.metadata.name ?? ""));
  void attachmentInformer.run(watching.signal);
  await attachmentInformer.waitForSync(watching.signal);

  const podOf = (n: number): Pod =>
    pod(
      `churn-${n}`,
      [
        { name: "data", persistentVolumeClaim: { claimName: `c${n % claimCount}` } },
        { name: "ram", emptyDir: { medium: "Memory" } },
      ],
      [
        { name: "data", mountPath: "/data" },
        { name: "ram", mountPath: "/ram" },
      ],
    );
  const live = new Set<string>(); // pods created and not (yet) deleted by the test
  let created = 0;
  /** One round of the user's churn: new pods, and some old ones deleted (a few force-deleted). */
  async function churn(round: number): Promise<void> {
    const target = Math.min(podCount, Math.round(((round + 1) * podCount) / kills));
    for (; created < target; created++) {
      await client.pods.create(podOf(created));
      live.add(`churn-${created}`);
    }
    const candidates = [...live].filter((name) => Number(name.slice(6)) < created - 2);
    if (candidates.length === 0 || rand() < 0.45) return;
    const victim = candidates[Math.floor(rand() * candidates.length)];
    live.delete(victim);
    // Force-deleted pods vanish from the API at once: only the node's own directories say what they had mounted.
    const force = rand() < 0.2;
    await client.pods.delete("default", victim, force ? { gracePeriodSeconds: 0 } : {}).catch(() => undefined);
  }

  phase("setup done");
  // Kills that land while nothing is in flight do not count: rounds go on until `kills` of them landed mid-flight.
  let killedMidFlight = 0;
  let round = 0;
  for (; killedMidFlight < kills && round < kills * 4; round++) {
    const r0 = Date.now();
    agent = await startAgent();
    if (trace) t.diagnostic(`round ${round}: agent ready after ${Date.now() - r0} ms`);
    // The user's churn while the agent works: it is killed at a random moment, often with mounts in flight.
    const churning = churn(round);
    await new Promise((r) => setTimeout(r, rand() * 200));
    const pods = (await client.pods.list({ namespace: "default" })).items;
    if (pods.some((p) => p.metadata.deletionTimestamp || p.status?.phase !== "Running")) killedMidFlight++;
    await killProcess(agent);
    agent = undefined;
    await churning;
  }
  t.diagnostic(`${killedMidFlight} of ${round} kills landed while pods were still being set up or torn down`);
  assert.equal(killedMidFlight, kills, `only ${killedMidFlight} of ${round} kills landed with work in flight`);

  phase("churn done");
  agent = await startAgent();
  const remaining = await eventually(async () => {
    const pods = (await client.pods.list({ namespace: "default" })).items;
    const names = pods.map((p) => p.metadata.name ?? "").sort();
    const settled = JSON.stringify(names) === JSON.stringify([...live].sort());
    return settled && pods.every((p) => p.status?.phase === "Running") ? pods : undefined;
  }, 45_000);

  phase("converged");
  // What the remaining pods need, in the kubelet's layout.
  const inUse = new Set(remaining.map((p) => `pv-${p.spec.volumes?.[0].persistentVolumeClaim?.claimName}`));
  const want = [
    ...remaining.flatMap((p) => [
      `pods/${p.metadata.uid}/volumes/kubernetes.io~csi/pv-${p.spec.volumes?.[0].persistentVolumeClaim?.claimName}/mount`,
      `pods/${p.metadata.uid}/volumes/kubernetes.io~empty-dir/ram`,
    ]),
    ...[...inUse].map((pv) => `plugins/kubernetes.io/csi/${DRIVER_NAME}/${sha256(handles.get(pv) ?? "")}/globalmount`),
  ].sort();
  await eventually(
    async () => (JSON.stringify(await findmntUnder(rootDir)) === JSON.stringify(want) ? true : undefined),
    15_000,
  ).catch(() => undefined);
  assert.deepEqual(await findmntUnder(rootDir), want, "findmnt shows exactly the mounts the running pods need");

  // Deleted pods' volumes are detached: attachments only for volumes in use, each attached.
  const attachments = async () =>
    (await client.volumeAttachments.list()).items
      .map((a) => `${a.spec.source.persistentVolumeName}@${a.spec.nodeName}:${a.status?.attached ?? false}`)
      .sort();
  const wantAttachments = [...inUse].map((pv) => `${pv}@${nodeName}:true`).sort();
  await eventually(
    async () => (JSON.stringify(await attachments()) === JSON.stringify(wantAttachments) ? true : undefined),
    20_000,
  ).catch(() => undefined);
  assert.deepEqual(await attachments(), wantAttachments, "VolumeAttachments exactly for the volumes in use");
  assert.deepEqual(detachedWhileMounted, [], "no volume was detached while still staged on the node");

  // And no directory of a deleted pod is left behind.
  const uids = remaining.map((p) => p.metadata.uid ?? "").sort();
  await eventually(
    async () =>
      JSON.stringify((await readdir(join(rootDir, "pods"))).sort()) === JSON.stringify(uids) ? true : undefined,
    10_000,
  ).catch(() => undefined);
  assert.deepEqual((await readdir(join(rootDir, "pods"))).sort(), uids, "pod directories only for remaining pods");

  phase("checked");
  // Everything goes when the last pods go: no mount, no attachment.
  for (const name of live) await client.pods.delete("default", name);
  await eventually(
    async () => ((await client.pods.list({ namespace: "default" })).items.length === 0 ? true : undefined),
    30_000,
  );
  await eventually(async () => ((await findmntUnder(rootDir)).length === 0 ? true : undefined), 10_000);
  await eventually(async () => ((await attachments()).length === 0 ? true : undefined), 20_000);
});
