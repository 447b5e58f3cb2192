import assert from "node:assert/strict";
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { CsiClient } from "./client.js";
import { Code, CsiError } from "./errors.js";
import { serveCsi, type CsiServices, type IdentityService } from "./server.js";

async function tempEndpoint(t: TestContext): Promise<{ dir: string; endpoint: string; socket: string }> {
  const dir = await mkdtemp(join(tmpdir(), "csi-client-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const socket = join(dir, "csi.sock");
  return { dir, endpoint: `unix://${socket}`, socket };
}

function identity(overrides: Partial<IdentityService> = {}): IdentityService {
  return {
    GetPluginInfo: async () => ({ name: "test.csi.stowage.dev", vendor_version: "1.2.3" }),
    GetPluginCapabilities: async () => ({
      capabilities: [{ service: { type: "CONTROLLER_SERVICE" } }, { volume_expansion: { type: "ONLINE" } }],
    }),
    Probe: async () => ({ ready: { value: true } }),
    ...overrides,
  };
}

async function serve(t: TestContext, endpoint: string, services: CsiServices) {
  const server = await serveCsi(endpoint, services);
  t.after(() => server.stop(100));
  return server;
}

async function connect(t: TestContext, endpoint: string, readyTimeoutMs = 10_000) {
  const client = await CsiClient.connect(endpoint, { readyTimeoutMs });
  t.after(() => client.close());
  return client;
}

test("connect waits for a driver that starts later and for Probe to say ready", async (t) => {
  const { endpoint } = await tempEndpoint(t);
  let probes = 0;
  const connecting = connect(t, endpoint);
  await sleep(300); // nothing listens yet: the client must keep retrying
  await serve(t, endpoint, {
    identity: identity({ Probe: async () => ({ ready: { value: ++probes >= 3 } }) }),
  });
  const client = await connecting;
  assert.ok(probes >= 3, `connect returned after ${probes} probes, before the driver said ready`);
  assert.equal((await client.pluginInfo()).name, "test.csi.stowage.dev");
});

test("an unset ready in Probe means ready", async (t) => {
  const { endpoint } = await tempEndpoint(t);
  await serve(t, endpoint, { identity: identity({ Probe: async () => ({}) }) });
  await connect(t, endpoint);
});

test("connect gives up with DEADLINE_EXCEEDED naming the last reason when no driver appears", async (t) => {
  const { endpoint } = await tempEndpoint(t);
  await assert.rejects(CsiClient.connect(endpoint, { readyTimeoutMs: 500 }), (err: unknown) => {
    assert.ok(err instanceof CsiError);
    assert.equal(err.code, Code.DEADLINE_EXCEEDED);
    assert.match(err.message, /not ready after .*UNAVAILABLE/);
    return true;
  });
});

test("a driver's CsiError reaches the caller with its code and message", async (t) => {
  const { endpoint } = await tempEndpoint(t);
  await serve(t, endpoint, {
    identity: identity(),
    controller: {
      CreateVolume: async (request) => {
        throw new CsiError(Code.ALREADY_EXISTS, `volume "${request.name}" exists with a different size`);
      },
    },
  });
  const client = await connect(t, endpoint);
  await assert.rejects(client.controller.CreateVolume({ name: "pvc-1" }), (err: unknown) => {
    assert.ok(err instanceof CsiError);
    assert.equal(err.code, Code.ALREADY_EXISTS);
    assert.equal(err.codeName, "ALREADY_EXISTS");
    assert.equal(err.method, "Controller.CreateVolume");
    assert.equal(err.message, 'volume "pvc-1" exists with a different size');
    return true;
  });
});

test("a method the driver leaves out answers UNIMPLEMENTED; a driver bug answers INTERNAL", async (t) => {
  const { endpoint } = await tempEndpoint(t);
  await serve(t, endpoint, {
    identity: identity(),
    node: {
      NodeGetInfo: async () => {
        throw new TypeError("boom");
      },
    },
  });
  const client = await connect(t, endpoint);
  await assert.rejects(client.node.NodeStageVolume({ volume_id: "v" }), { code: Code.UNIMPLEMENTED });
  await assert.rejects(client.controller.ListVolumes({}), { code: Code.UNIMPLEMENTED });
  await assert.rejects(client.node.NodeGetInfo({}), { code: Code.INTERNAL, message: "boom" });
});

test("a call that outlives its deadline fails with DEADLINE_EXCEEDED", async (t) => {
  const { endpoint } = await tempEndpoint(t);
  await serve(t, endpoint, {
    identity: identity(),
    controller: { ListVolumes: () => sleep(2000).then(() => ({ entries: [] })) },
  });
  const client = await connect(t, endpoint);
  await assert.rejects(client.controller.ListVolumes({}, { timeoutMs: 100 }), { code: Code.DEADLINE_EXCEEDED });
});

test("capabilities are discovered once per connection", async (t) => {
  const { endpoint } = await tempEndpoint(t);
  let asked = 0;
  await serve(t, endpoint, {
    identity: identity(),
    controller: {
      ControllerGetCapabilities: async () => {
        asked++;
        return { capabilities: [{ rpc: { type: "CREATE_DELETE_VOLUME" } }, { rpc: { type: "LIST_VOLUMES" } }] };
      },
    },
    node: {
      NodeGetCapabilities: async () => ({ capabilities: [{ rpc: { type: "STAGE_UNSTAGE_VOLUME" } }] }),
      NodeGetInfo: async () => ({ node_id: "node-1", max_volumes_per_node: 7 }),
    },
  });
  const client = await connect(t, endpoint);
  const [first, second] = await Promise.all([client.controllerCapabilities(), client.controllerCapabilities()]);
  assert.deepEqual([...first], ["CREATE_DELETE_VOLUME", "LIST_VOLUMES"]);
  assert.equal(second, first);
  assert.equal(asked, 1);
  const plugin = await client.pluginCapabilities();
  assert.ok(plugin.services.has("CONTROLLER_SERVICE"));
  assert.equal(plugin.volumeExpansion, "ONLINE");
  assert.ok((await client.nodeCapabilities()).has("STAGE_UNSTAGE_VOLUME"));
  const info = await client.nodeInfo();
  assert.equal(info.node_id, "node-1");
  assert.equal(info.max_volumes_per_node, 7);
});

test("serving replaces a stale socket file but refuses an endpoint that is not unix://", async (t) => {
  const { dir, endpoint, socket } = await tempEndpoint(t);
  // A socket file left behind by a process that was killed: listen in a child, then SIGKILL it.
  const child = spawn(process.execPath, [
    "-e",
    `require("net").createServer().listen(${JSON.stringify(socket)}, () => console.log("listening"))`,
  ]);
  await once(child.stdout, "data");
  child.kill("SIGKILL");
  await once(child, "exit");
  assert.ok((await stat(socket)).isSocket(), "the killed process left its socket file");
  await serve(t, endpoint, { identity: identity() });
  await connect(t, endpoint);

  await assert.rejects(serveCsi("tcp://127.0.0.1:9000", { identity: identity() }), /want unix:\/\/\/absolute\/path/);
  await assert.rejects(serveCsi("/tmp/csi.sock", { identity: identity() }), /only unix sockets/);
  const notSocket = join(dir, "file.sock");
  await writeFile(notSocket, "data");
  await assert.rejects(serveCsi(`unix://${notSocket}`, { identity: identity() }), /is not a socket/);
});
