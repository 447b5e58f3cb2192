// Test helpers for the node agent: a real stowage (apiserver + controller-manager, memory store), a real hostpath
// CSI driver on a temp socket, and a node agent on its own temp root dir — all stopped in t.after, which also
// fails the test if any mount is left under the root dir.
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { promisify } from "node:util";
import type { PersistentVolume, PersistentVolumeClaim, Pod, Volume, VolumeMount } from "../api/core/types.js";
import { controllerManagerComponent } from "../cli/controllermanager.js";
import { inProcess, queueAdds, untilQueueIdle } from "./metrics.js";
import { eventually, startStowage, type Stowage } from "./stowage.js";
import { createClient, type Client } from "../client/index.js";
import { mountsUnder, unmount } from "../support/mount.js";
import { DRIVER_NAME } from "../csi/drivers/hostpath/index.js";
import { startHostpath, type InProcessDriver } from "../csi/drivers/hostpath/testing/driver.js";
import { startNodeAgent, type NodeAgent, type NodeAgentOptions } from "../node/agent.js";
import { nodeKubeletTls } from "./kubelettls.js";

export { eventually };
export const nodeName = "node-1";
const run = promisify(execFile);

export interface NodeTest {
  stowage: Stowage;
  client: Client;
  driver: InProcessDriver;
  rootDir: string;
  agent: NodeAgent;
  /** Starts the agent (again) on the same root dir; the previous one must be stopped. */
  startAgent(extra?: Partial<NodeAgentOptions>): Promise<NodeAgent>;
}

export async function startNodeTest(t: TestContext, extra: Partial<NodeAgentOptions> = {}): Promise<NodeTest> {
  const stowage = await startStowage(t, { store: "memory", components: [controllerManagerComponent] });
  const client = createClient(stowage.transport());
  const driver = await startHostpath(t, { nodeId: nodeName });
  const rootDir = await mkdtemp(join(tmpdir(), "node-"));
  let agentAbort = new AbortController();
  const test: NodeTest = {
    stowage,
    client,
    driver,
    rootDir,
    agent: undefined as unknown as NodeAgent,
    async startAgent(more = {}) {
      agentAbort = new AbortController();
      test.agent = await startNodeAgent({
        client,
        nodeName,
        rootDir,
        signal: agentAbort.signal,
        csiDrivers: [driver.endpoint],
        kubeletTls: await nodeKubeletTls(stowage.dataDir, nodeName),
        mountTimeoutMs: 5_000,
        log: () => undefined,
        ...extra,
        ...more,
      });
      return test.agent;
    },
  };
  // Registered after the driver's hooks, so this runs first: the agent stops and pods' mounts go before the driver
  // stops and its own leftover-mount check runs.
  t.after(async () => {
    agentAbort.abort();
    await test.agent?.stop();
    const left = await mountsUnder(rootDir);
    for (const mount of [...left].reverse()) await unmount(mount).catch(() => undefined);
    await rm(rootDir, { recursive: true, force: true });
    if (left.length > 0) throw new Error(`mounts left behind under the node's root dir: ${left.join(", ")}`);
  });
  await test.startAgent();
  return test;
}

/** Deletes every pod and waits until the agent has torn their volumes down and confirmed the deletion. */
export async function deleteAllPods(test: NodeTest, namespace = "default"): Promise<void> {
  const pods = await test.client.pods.list({ namespace });
  for (const pod of pods.items)
    await test.client.pods.delete(namespace, pod.metadata.name ?? "").catch(() => undefined);
  await eventually(
    async () => ((await test.client.pods.list({ namespace })).items.length === 0 ? true : undefined),
    20_000,
  );
  await eventually(async () => ((await mountsUnder(test.rootDir)).length === 0 ? true : undefined), 10_000);
}

/** A hostpath CSI volume created in the driver, a PV for it pre-bound to a claim, and the claim. */
export async function csiClaim(
  test: NodeTest,
  name: string,
  options: { accessModes?: PersistentVolume["spec"]["accessModes"] } = {},
): Promise<{ pv: PersistentVolume; claim: PersistentVolumeClaim; handle: string }> {
  const { volume } = await test.driver.client.controller.CreateVolume({
    name,
    capacity_range: { required_bytes: 1 << 20 },
    volume_capabilities: [{ mount: {}, access_mode: { mode: "SINGLE_NODE_WRITER" } }],
    parameters: {},
  });
  const handle = volume?.volume_id ?? "";
  const accessModes = options.accessModes ?? ["ReadWriteOnce"];
  const pv = await test.client.persistentVolumes.create({
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name: `pv-${name}` },
    spec: {
      capacity: { storage: "1Mi" },
      accessModes,
      persistentVolumeReclaimPolicy: "Retain",
      claimRef: { namespace: "default", name },
      csi: { driver: DRIVER_NAME, volumeHandle: handle },
    },
  });
  const claim = await test.client.persistentVolumeClaims.create({
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name, namespace: "default" },
    spec: {
      accessModes,
      resources: { requests: { storage: "1Mi" } },
      volumeName: pv.metadata.name,
      storageClassName: "",
    },
  });
  await eventually(async () =>
    (await test.client.persistentVolumeClaims.get("default", name)).status?.phase === "Bound" ? true : undefined,
  );
  return { pv, claim, handle };
}

/** A CSIDriver object for the hostpath driver (attachRequired false unless said otherwise). */
export async function csiDriverObject(
  test: NodeTest,
  spec: { attachRequired?: boolean; podInfoOnMount?: boolean } = {},
) {
  await test.client.csiDrivers.create({
    apiVersion: "storage.k8s.io/v1",
    kind: "CSIDriver",
    metadata: { name: DRIVER_NAME },
    spec: { attachRequired: false, ...spec },
  });
}

export function pod(name: string, volumes: Volume[], mounts: VolumeMount[] = []): Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "default" },
    spec: {
      nodeName,
      volumes,
      containers: [{ name: "app", image: "busybox", volumeMounts: mounts }],
    },
  };
}

export async function waitForPhase(test: NodeTest, name: string, phase: string, timeoutMs = 15_000): Promise<Pod> {
  return eventually(async () => {
    const p = await test.client.pods.get("default", name);
    return p.status?.phase === phase ? p : undefined;
  }, timeoutMs);
}

/** Events about a pod, "reason: message" each. */
export async function podEvents(test: NodeTest, name: string): Promise<string[]> {
  const events = await test.client.events.list({ namespace: "default" });
  return events.items
    .filter((e) => e.involvedObject.kind === "Pod" && e.involvedObject.name === name)
    .map((e) => `${e.reason}: ${e.message}`);
}

/** findmnt's view of a path: the mount's target and options, or undefined when not a mount point. */
export async function findmnt(path: string): Promise<{ target: string; fstype: string; options: string } | undefined> {
  try {
    const { stdout } = await run("findmnt", ["-n", "-o", "TARGET,FSTYPE,OPTIONS", "--mountpoint", path]);
    const [target, fstype, options] = stdout.trim().split(/\s+/);
    return target ? { target, fstype, options } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Returns once the agent's pod worker has synced `name` after this call: the pod is touched (an annotation, which
 * changes nothing the agent acts on) and the worker's queue handles it. What a sync would do wrong, it has done.
 */
export async function untilPodWorkerSynced(test: NodeTest, name: string, namespace = "default"): Promise<void> {
  const queue = `node-${nodeName}-pods`;
  const before = await queueAdds(inProcess, queue);
  const touch = { metadata: { annotations: { "test.stowage.dev/touched": new Date().toISOString() } } };
  await test.client.pods.patch(namespace, name, "merge", touch);
  await untilQueueIdle(inProcess, queue, before);
}
