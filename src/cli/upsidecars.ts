// The CSI sidecars `stowage up` runs for each driver: csi-provisioner, csi-attacher, csi-snapshotter (with a
// default VolumeSnapshotClass), csi-resizer and csi-external-health-monitor-controller. Block's state is shared, so the first node's instance serves every
// node. Hostpath volumes are node-local: with several nodes the sidecars talk to a router in front of every node's
// instance (CreateVolume to the node the topology selects), as upstream's per-node provisioners would.
import { sidecarMetrics } from "../csi/sidecars/common/metrics.js";
import { join } from "node:path";
import { createClient } from "../client/index.js";
import { serviceAccountUserInfo } from "../api/user.js";
import { CsiClient } from "../csi/client.js";
import { TOPOLOGY_KEY as hostpathTopologyKey } from "../csi/drivers/hostpath/index.js";
import { startAttacher } from "../csi/sidecars/attacher/controller.js";
import { startProvisioner } from "../csi/sidecars/provisioner/controller.js";
import { startResizer } from "../csi/sidecars/resizer/controller.js";
import { startHealthMonitor } from "../csi/sidecars/healthmonitor/controller.js";
import type { UpContext } from "./component.js";
import { serveCsiRouter } from "./csirouter.js";
import type { StartDriver } from "../csi/drivers/options.js";
import { startUpSnapshots } from "./upsnapshots.js";

export interface Stoppable {
  name: string;
  stop(): Promise<void>;
}

export interface DriverPlan {
  /** Short name used for sockets and messages: "hostpath" or "block". */
  short: string;
  start: StartDriver;
  stateDir(node: string): string;
  /** The nodes this driver runs on. */
  nodes: string[];
  endpoints: Map<string, string>;
}

/** Starts one driver's sidecars; one that cannot start is said on up's output, the others still run. */
export async function startDriverSidecars(
  ctx: UpContext,
  plan: DriverPlan,
  routed: boolean,
  defaultStorage: boolean,
  stops: Stoppable[],
): Promise<void> {
  let [first, endpoint] = [...plan.endpoints.entries()][0];
  if (routed && plan.endpoints.size > 1) {
    try {
      endpoint = await startHostpathRouter(ctx, plan.endpoints, stops);
      first = "every node";
    } catch (err) {
      ctx.say(`hostpath router: NOT started (${(err as Error).message}); provisioning on ${first} only`);
    }
  }
  const sidecarLog = (who: string) => (message: string, fields?: Record<string, unknown>) =>
    ctx.log(`${who} (${plan.short}): ${message} ${fields ? JSON.stringify(fields) : ""}`);
  let csi: CsiClient;
  const metrics = sidecarMetrics();
  try {
    csi = await CsiClient.connect(endpoint, { signal: ctx.signal, observe: metrics.observe });
    metrics.driverName = (await csi.pluginInfo()).name;
  } catch (err) {
    ctx.say(`${plan.short} sidecars: NOT started: connecting to ${endpoint}: ${(err as Error).message}`);
    return;
  }
  stops.push({ name: `${plan.short} CSI connection`, stop: async () => csi.close() });
  // Each sidecar as the ServiceAccount its rbac.yaml binds (kube-system/csi-provisioner …).
  const sidecarClient = (serviceAccount: string) =>
    createClient(ctx.transport(serviceAccountUserInfo("kube-system", serviceAccount)), {
      userAgent: `stowage-${serviceAccount}`,
    });
  try {
    const provisioner = await startProvisioner({
      client: sidecarClient("csi-provisioner"),
      csi,
      signal: ctx.signal,
      log: sidecarLog("csi-provisioner"),
    });
    stops.push({ name: `${plan.short} provisioner`, stop: () => provisioner.stop() });
  } catch (err) {
    ctx.say(`${plan.short} csi-provisioner: NOT started: ${(err as Error).message}`);
  }
  try {
    const attacher = await startAttacher({
      client: sidecarClient("csi-attacher"),
      csi,
      signal: ctx.signal,
      log: sidecarLog("csi-attacher"),
    });
    stops.push({ name: `${plan.short} attacher`, stop: () => attacher.stop() });
  } catch (err) {
    ctx.say(`${plan.short} csi-attacher: NOT started: ${(err as Error).message}`);
  }
  await startUpSnapshots(ctx, plan.short, csi, defaultStorage, stops);
  await startResizer({
    client: sidecarClient("csi-resizer"),
    csi,
    signal: ctx.signal,
    log: sidecarLog("csi-resizer"),
  }).then(
    (resizer) => stops.push({ name: `${plan.short} resizer`, stop: () => resizer.stop() }),
    (err: Error) => ctx.say(`${plan.short} csi-resizer: NOT started: ${err.message}`),
  );
  await startHealthMonitor({
    client: sidecarClient("csi-external-health-monitor-controller"),
    csi,
    signal: ctx.signal,
    log: sidecarLog("csi-external-health-monitor-controller"),
  }).then(
    (monitor) => stops.push({ name: `${plan.short} health monitor`, stop: () => monitor.stop() }),
    (err: Error) => ctx.say(`${plan.short} csi-external-health-monitor-controller: NOT started: ${err.message}`),
  );
  ctx.say(
    `${plan.short}: csi-provisioner and csi-attacher running against ${first === "every node" ? "every node's driver (router)" : `${first}'s driver`}`,
  );
}

/** Connects to every node's hostpath instance and serves one Controller endpoint routing between them. */
async function startHostpathRouter(ctx: UpContext, endpoints: Map<string, string>, stops: Stoppable[]) {
  const backends = new Map<string, CsiClient>();
  stops.push({ name: "hostpath router connections", stop: async () => backends.forEach((b) => b.close()) });
  for (const [node, endpoint] of endpoints)
    backends.set(node, await CsiClient.connect(endpoint, { signal: ctx.signal }));
  const server = await serveCsiRouter({
    endpoint: `unix://${join(ctx.dataDir, "csi", "hostpath.sock")}`,
    backends,
    topologyKey: hostpathTopologyKey,
    log: (line) => ctx.log(line),
  });
  stops.push({ name: "hostpath router", stop: () => server.stop() });
  return server.endpoint;
}
