// The node agent as a real node identity: system:node:<name> in system:nodes, against an apiserver with
// --authorization-mode Node,RBAC, may read only what its own pods need. A pod with a CSI claim (attached by the
// attach/detach controller and csi-attacher), a configMap and a secret runs with all three mounted, a configMap
// change reaches the volume, the pod's teardown works — and the apiserver refuses the agent nothing.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import type { UserInfo } from "../api/user.js";
import { createClient, inProcessTransport, isForbidden, type Client, type Transport } from "../client/index.js";
import { startNodeAgent } from "./agent.js";
import { createKubeletTestPki } from "./testing/kubelettls.js";
import {
  controllerManagerComponent,
  createApiServer,
  MemoryStore,
  startAttacher,
  startHostpath,
  type UpComponent,
} from "../e2e/parts.js";
import {
  csiClaim,
  csiDriverObject,
  deleteAllPods,
  eventually,
  findmnt,
  nodeName,
  pod,
  waitForPhase,
  type NodeTest,
} from "../e2e/node.js";
import { mountsUnder, unmount } from "../support/mount.js";

const admin: UserInfo = { name: "kubernetes-admin", groups: ["system:masters", "system:authenticated"] };
const node: UserInfo = { name: `system:node:${nodeName}`, groups: ["system:nodes", "system:authenticated"] };

/** The node's transport, recording every request the apiserver refused (403) as "METHOD path?query". */
function recordingForbidden(inner: Transport, refused: string[]): Transport {
  return async (request) => {
    const response = await inner(request);
    if (response.status === 403) refused.push(`${request.method} ${request.path}?${request.query.toString()}`);
    return response;
  };
}

/**
 * A secured apiserver (Node,RBAC); the controller-manager and csi-attacher as admins; a hostpath driver; the node
 * agent as system:node:<name>, with every request refused to it and every line it logged kept.
 */
async function startSecuredWorld(t: TestContext) {
  const store = new MemoryStore();
  const server = await createApiServer({
    store,
    security: { authentication: { anonymous: false }, authorization: ["Node", "RBAC"] },
    log: () => undefined,
  });
  const stop = new AbortController();
  t.after(async () => {
    stop.abort();
    await server.close();
    await store.close();
  });
  const client = createClient(inProcessTransport(server.handler, admin));
  const context: Parameters<UpComponent["start"]>[0] = {
    dataDir: "",
    // The controller-manager's clients carry the identities `up` gives them (its loops' ServiceAccounts).
    transport: (user) => inProcessTransport(server.handler, user),
    url: "",
    kubeconfig: "",
    signal: stop.signal,
    log: () => undefined,
    say: () => undefined,
  };
  const controllers = await controllerManagerComponent.start(context);
  t.after(() => controllers.stop());
  const driver = await startHostpath(t, { nodeId: nodeName });
  const attacher = await startAttacher({ client, csi: driver.client, signal: stop.signal, log: () => undefined });
  t.after(() => attacher.stop());

  const rootDir = await mkdtemp(join(tmpdir(), "node-"));
  const refused: string[] = [];
  const logs: string[] = [];
  const agentStop = new AbortController();
  const agent = await startNodeAgent({
    client: createClient(recordingForbidden(inProcessTransport(server.handler, node), refused)),
    nodeName,
    rootDir,
    signal: agentStop.signal,
    csiDrivers: [driver.endpoint],
    kubeletTls: await (await createKubeletTestPki()).serving(nodeName),
    mountTimeoutMs: 5_000,
    log: (message, err) => logs.push(`${message} ${err instanceof Error ? err.message : String(err ?? "")}`),
  });
  // Registered last, so it runs first: the agent stops and its mounts go before the driver stops.
  t.after(async () => {
    agentStop.abort();
    await agent.stop();
    const left = await mountsUnder(rootDir);
    for (const mount of [...left].reverse()) await unmount(mount).catch(() => undefined);
    await rm(rootDir, { recursive: true, force: true });
    if (left.length > 0) throw new Error(`mounts left behind under the node's root dir: ${left.join(", ")}`);
  });
  const world = { client, driver, rootDir } as unknown as NodeTest;
  await csiDriverObject(world, { attachRequired: true });
  return {
    server,
    client,
    world,
    rootDir,
    /** Fails unless the apiserver refused the agent nothing and it logged no refusal. */
    assertNeverRefused() {
      assert.deepEqual(refused, [], "the apiserver refused the agent nothing");
      assert.deepEqual(
        logs.filter((line) => /forbidden|403/i.test(line)),
        [],
        "the agent logged no refusal",
      );
    },
  };
}

test(
  "a node agent running as system:node:<name> under Node,RBAC mounts a CSI claim, a configMap and a secret, follows the configMap and tears down, and is never refused",
  { timeout: 120_000 },
  async (t) => {
    const { server, client, world, rootDir, assertNeverRefused } = await startSecuredWorld(t);
    // The identity really is restricted: the cluster-wide reads the agent used to make are refused.
    const asNode: Client = createClient(inProcessTransport(server.handler, node));
    await assert.rejects(asNode.persistentVolumeClaims.list({ namespace: "default" }), isForbidden);
    await assert.rejects(asNode.configMaps.list({ namespace: "default" }), isForbidden);

    const { pv } = await csiClaim(world, "data");
    await client.configMaps.create({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "app-config", namespace: "default" },
      data: { greeting: "hello" },
    });
    await client.secrets.create({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "app-secret", namespace: "default" },
      data: { token: Buffer.from("s3cret").toString("base64") },
    });
    const created = await client.pods.create(
      pod("app", [
        { name: "data", persistentVolumeClaim: { claimName: "data" } },
        { name: "config", configMap: { name: "app-config" } },
        { name: "creds", secret: { secretName: "app-secret" } },
      ]),
    );
    await waitForPhase(world, "app", "Running", 30_000);

    const volumes = join(rootDir, "pods", created.metadata.uid ?? "", "volumes");
    const target = join(volumes, "kubernetes.io~csi", pv.metadata.name ?? "", "mount");
    assert.equal((await findmnt(target))?.target, target, "the claim is published at the pod's volume path");
    await writeFile(join(target, "hello.txt"), "written through the node's mount");
    const attachments = (await client.volumeAttachments.list()).items;
    assert.deepEqual(
      attachments.map((a) => [a.spec.nodeName, a.spec.source.persistentVolumeName, a.status?.attached]),
      [[nodeName, pv.metadata.name, true]],
      "the volume was attached through a VolumeAttachment the agent could only GET",
    );
    const configFile = join(volumes, "kubernetes.io~configmap", "config", "greeting");
    assert.equal(await readFile(configFile, "utf8"), "hello");
    assert.equal(await readFile(join(volumes, "kubernetes.io~secret", "creds", "token"), "utf8"), "s3cret");

    const config = await client.configMaps.get("default", "app-config");
    await client.configMaps.update({ ...config, data: { greeting: "hello again" } });
    await eventually(async () => ((await readFile(configFile, "utf8")) === "hello again" ? true : undefined));

    await deleteAllPods(world);
    await eventually(
      async () => ((await client.volumeAttachments.list()).items.length === 0 ? true : undefined),
      20_000,
    );

    assertNeverRefused();
  },
);

test(
  "as system:node:<name>, a claim grown by the resizer is expanded on the node and its new size written to the claim's status",
  { timeout: 120_000 },
  async (t) => {
    const { client, world, assertNeverRefused } = await startSecuredWorld(t);
    const { pv, handle } = await csiClaim(world, "grow");
    await client.pods.create(pod("grows", [{ name: "vol", persistentVolumeClaim: { claimName: "grow" } }]));
    await waitForPhase(world, "grows", "Running", 30_000);
    // What external-resizer does: ControllerExpandVolume, the PV's new capacity, the claim waiting for the node.
    await world.driver.client.controller.ControllerExpandVolume({
      volume_id: handle,
      capacity_range: { required_bytes: 2 << 20 },
    });
    const current = await client.persistentVolumes.get(pv.metadata.name ?? "");
    await client.persistentVolumes.update({ ...current, spec: { ...current.spec, capacity: { storage: "2Mi" } } });
    const claim = await client.persistentVolumeClaims.get("default", "grow");
    await client.persistentVolumeClaims.updateStatus({
      ...claim,
      status: { ...claim.status, conditions: [{ type: "FileSystemResizePending", status: "True" }] },
    });
    const grown = await eventually(async () => {
      const c = await client.persistentVolumeClaims.get("default", "grow");
      return c.status?.capacity?.storage === "2Mi" ? c : undefined;
    });
    assert.deepEqual(grown.status?.conditions ?? [], [], "FileSystemResizePending cleared by the node");
    await deleteAllPods(world);
    assertNeverRefused();
  },
);
