// `stowage csi-external-health-monitor-controller` as an operator runs it beside a driver's controller: flags
// checked up front, then each bound PV of the driver asked about until SIGTERM. A volume the driver lost its
// directory for, and one it never had, each get a Warning VolumeConditionAbnormal on their claim; a healthy one
// gets nothing, and nothing is changed or deleted. A volume that heals gets upstream's VolumeConditionNormal.
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test, type TestContext } from "node:test";
import type { Event } from "../api/core/types.js";
import { createClient, type Client } from "../client/index.js";
import type { CsiClient } from "../csi/client.js";
import { startHostpath, type InProcessDriver } from "../csi/drivers/hostpath/testing/driver.js";
import { serveCsi } from "../csi/server.js";
import { controllerManagerComponent } from "../e2e/parts.js";
import { eventually, startStowage } from "../e2e/stowage.js";

const main = fileURLToPath(new URL("./main.ts", import.meta.url));
const run = (...args: string[]) =>
  new Promise<{ code: number; stderr: string }>((resolve) =>
    execFile(process.execPath, ["--import", "tsx", main, ...args], (err, _stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stderr }),
    ),
  );

test("stowage csi-external-health-monitor-controller refuses a --monitor-interval that is not a duration", async () => {
  const result = await run(
    "csi-external-health-monitor-controller",
    ...["--csi-address", "unix:///tmp/x.sock", "--kubeconfig", "/x", "--monitor-interval", "often"],
  );
  assert.notEqual(result.code, 0);
  assert.match(result.stderr, /"often" is not a duration: want e\.g\. 10s, 500ms or 1m/);
});

/** A static PV of the hostpath driver with handle `handle`, and a claim bound to it. */
async function boundClaim(client: Client, name: string, handle: string): Promise<void> {
  await client.persistentVolumes.create({
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name },
    spec: {
      capacity: { storage: "1Gi" },
      accessModes: ["ReadWriteOnce"],
      persistentVolumeReclaimPolicy: "Retain",
      storageClassName: "",
      csi: { driver: "hostpath.csi.stowage.dev", volumeHandle: handle },
    },
  });
  await client.persistentVolumeClaims.create({
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name, namespace: "default" },
    spec: {
      accessModes: ["ReadWriteOnce"],
      resources: { requests: { storage: "1Gi" } },
      storageClassName: "",
      volumeName: name,
    },
  });
}

/**
 * The driver as one that cannot list volumes: the same answers, but without LIST_VOLUMES among its controller
 * capabilities and without ListVolumes, so the monitor takes upstream's other path (ControllerGetVolume per PV).
 */
async function withoutListVolumes(t: TestContext, driver: CsiClient, endpoint: string): Promise<string> {
  const server = await serveCsi(endpoint, {
    identity: {
      GetPluginInfo: (request) => driver.identity.GetPluginInfo(request),
      GetPluginCapabilities: (request) => driver.identity.GetPluginCapabilities(request),
      Probe: (request) => driver.identity.Probe(request),
    },
    controller: {
      async ControllerGetCapabilities(request) {
        const { capabilities } = await driver.controller.ControllerGetCapabilities(request);
        return { capabilities: capabilities.filter((c) => c.rpc?.type !== "LIST_VOLUMES") };
      },
      ControllerGetVolume: (request) => driver.controller.ControllerGetVolume(request),
    },
  });
  t.after(() => server.stop());
  return endpoint;
}

const paths = [
  { by: "ListVolumes", endpoint: (t: TestContext, driver: InProcessDriver) => Promise.resolve(driver.endpoint) },
  {
    by: "ControllerGetVolume",
    endpoint: (t: TestContext, driver: InProcessDriver) =>
      withoutListVolumes(t, driver.client, `unix://${join(driver.dir, "front.sock")}`),
  },
];

for (const path of paths)
  test(`the health monitor, asking by ${path.by}, warns on the claims whose volumes are damaged or gone, and on no other`, async (t) => {
    const driver = await startHostpath(t);
    const endpoint = await path.endpoint(t, driver);
    const stowage = await startStowage(t, { components: [controllerManagerComponent] });
    const client = createClient(stowage.transport());
    const rwo = { mount: {}, access_mode: { mode: "SINGLE_NODE_WRITER" as const } };
    const make = async (name: string) =>
      (await driver.client.controller.CreateVolume({ name, volume_capabilities: [rwo] })).volume!.volume_id;
    const [healthy, damaged] = [await make("healthy"), await make("damaged")];
    await rm(join(driver.stateDir, "volumes", damaged), { recursive: true });
    await boundClaim(client, "healthy", healthy);
    await boundClaim(client, "damaged", damaged);
    await boundClaim(client, "lost", "no-such-volume");
    for (const name of ["healthy", "damaged", "lost"])
      await stowage.kubectl("wait", `pvc/${name}`, "--for=jsonpath={.status.phase}=Bound", "--timeout=30s");

    const child = spawn(
      process.execPath,
      [
        ...["--import", "tsx", main, "csi-external-health-monitor-controller"],
        ...[
          "--csi-address",
          endpoint,
          "--kubeconfig",
          stowage.kubeconfig,
          "--list-volumes-interval",
          "1s",
          "--monitor-interval",
          "1s",
        ],
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = once(child, "exit");
    t.after(() => child.kill("SIGKILL"));

    const warnings = async () =>
      (await client.events.list({ namespace: "default" })).items.filter(
        (e: Event) => e.reason === "VolumeConditionAbnormal",
      );
    const both = await eventually(async () => {
      const now = await warnings();
      return now.length >= 2 ? now : undefined;
    }, 60_000);
    const said = new Map(both.map((e) => [e.involvedObject.name, e]));
    assert.equal(said.get("lost")?.message, "Volume not found: no-such-volume");
    assert.equal(
      said.get("damaged")?.message,
      `volume ${damaged}: its directory ${join(driver.stateDir, "volumes", damaged)} is missing`,
    );
    assert.equal(said.get("damaged")?.type, "Warning");
    assert.equal(said.get("healthy"), undefined, "the healthy volume's claim is left alone");
    assert.match(stderr, new RegExp(`health monitor started .*by: '${path.by}'`));
    assert.match(stdout, /leader election on: Lease default\/external-health-monitor-leader-hostpath-csi-stowage-dev/);

    // The damaged volume's directory is back: the next round says so once, as upstream's recovery event.
    await mkdir(join(driver.stateDir, "volumes", damaged));
    const recovered = await eventually(async () =>
      (await client.events.list({ namespace: "default" })).items.find(
        (e: Event) => e.reason === "VolumeConditionNormal" && e.involvedObject.name === "damaged",
      ),
    );
    assert.equal(recovered.message, "The Volume returns to the healthy state");
    assert.equal(recovered.type, "Normal");
    assert.equal(
      (await warnings()).find((e) => e.involvedObject.name === "healthy"),
      undefined,
      "never warned, never recovered",
    );

    child.kill("SIGTERM");
    const [code] = await exited;
    assert.equal(code, 0);
    // Only events: every PV and claim is still there, still Bound.
    for (const name of ["healthy", "damaged", "lost"]) {
      assert.equal((await client.persistentVolumes.get(name)).status?.phase, "Bound");
    }
  });
