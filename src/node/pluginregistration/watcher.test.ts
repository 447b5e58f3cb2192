// CSI drivers announced the kubelet way: a registration socket in <root-dir>/plugins_registry/.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { DRIVER_NAME, TOPOLOGY_KEY } from "../../e2e/parts.js";
import { socketPathOf } from "../../csi/endpoint.js";
import { eventually, nodeName, startNodeTest } from "../../e2e/node.js";
import { serveRegistration, type RegistrationStatus } from "./registration.js";

test("a driver whose registration socket appears in plugins_registry is registered in CSINode, and removed when it goes", async (t) => {
  const node = await startNodeTest(t, { csiDrivers: [] });
  assert.equal((await node.client.csiNodes.get(nodeName).catch(() => undefined))?.spec.drivers.length ?? 0, 0);

  const statuses: RegistrationStatus[] = [];
  const registration = await serveRegistration(
    join(node.agent.paths.pluginsRegistryDir, `${DRIVER_NAME}-reg.sock`),
    {
      type: "CSIPlugin",
      name: DRIVER_NAME,
      endpoint: socketPathOf(node.driver.endpoint),
      supported_versions: ["1.0.0"],
    },
    (status) => statuses.push(status),
  );
  t.after(() => registration.stop());
  await eventually(() => (statuses.length ? true : undefined));
  assert.deepEqual(statuses, [{ plugin_registered: true, error: "" }]);
  const csiNode = await node.client.csiNodes.get(nodeName);
  assert.deepEqual(csiNode.spec.drivers, [{ name: DRIVER_NAME, nodeID: nodeName, topologyKeys: [TOPOLOGY_KEY] }]);

  await registration.stop();
  await eventually(async () =>
    (await node.client.csiNodes.get(nodeName)).spec.drivers.length === 0 ? true : undefined,
  );
});

test("a plugin offering no CSI 1.x version is told why it was not registered", async (t) => {
  const node = await startNodeTest(t, { csiDrivers: [] });
  const statuses: RegistrationStatus[] = [];
  const registration = await serveRegistration(
    join(node.agent.paths.pluginsRegistryDir, "old-reg.sock"),
    { type: "CSIPlugin", name: "old.csi.example.com", endpoint: "/nowhere.sock", supported_versions: ["0.3.0"] },
    (status) => statuses.push(status),
  );
  t.after(() => registration.stop());
  await eventually(() => (statuses.length ? true : undefined));
  assert.equal(statuses[0].plugin_registered, false);
  assert.equal(
    statuses[0].error,
    "RegisterPlugin error -- plugin registration failed with err: validation failed for CSI Driver old.csi.example.com at endpoint /nowhere.sock: none of the versions specified [0.3.0] are supported",
  );
});
