// A resizer's world for tests: a real apiserver (startStowage, no controllers), the real hostpath driver (or the block
// driver, whose Controller service needs no root) over a unix socket, an expandable StorageClass, and volumes created through CSI with a PV and a claim bound to each
// (both marked Bound, as the PV binder would).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import type { PersistentVolume, PersistentVolumeClaim } from "../api/core/types.js";
import { startStowage, type Stowage } from "./stowage.js";
import { createClient, type Client } from "../client/index.js";
import { CsiClient } from "../csi/client.js";
import { startDriver as startBlock, defaultDriverName as BLOCK_DRIVER_NAME } from "../csi/drivers/block/index.js";
import { startDriver as startHostpath, DRIVER_NAME } from "../csi/drivers/hostpath/index.js";
import { startResizer, type ResizerOptions, type RunningResizer } from "../csi/sidecars/resizer/controller.js";

export const MiB = 1024 * 1024;
export const className = "expandable";

export interface ResizerWorld {
  stowage: Stowage;
  client: Client;
  csi: CsiClient;
  endpoint: string;
  driverName: string;
  /** What the driver logged (the block driver logs "expanded volume <id> to <n> bytes" once per growth). */
  driverLog: string[];
  startResizer(extra?: Partial<ResizerOptions>): Promise<RunningResizer>;
  /** CreateVolume of `mib` MiB in the driver, then a PV and a claim `name` bound to it. */
  volume(name: string, mib: number): Promise<PersistentVolume>;
  /** The driver's view: volume id → capacity_bytes (ListVolumes). */
  driverCapacities(): Promise<Map<string, number>>;
}

export async function startWorld(
  t: TestContext,
  options: { driver?: "hostpath" | "block" } = {},
): Promise<ResizerWorld> {
  const dir = await mkdtemp(join(tmpdir(), "stowage-resizer-world-"));
  const stowage = await startStowage(t);
  const client = createClient(stowage.transport());
  const endpoint = `unix://${join(dir, "csi.sock")}`;
  const driverLog: string[] = [];
  const block = options.driver === "block";
  const driverName = block ? BLOCK_DRIVER_NAME : DRIVER_NAME;
  const driver = await (block ? startBlock : startHostpath)({
    endpoint,
    nodeId: "node-1",
    stateDir: join(dir, "state"),
    log: (line) => driverLog.push(line),
  });
  const csi = await CsiClient.connect(endpoint);
  const running: RunningResizer[] = [];
  t.after(async () => {
    for (const resizer of running) await resizer.stop();
    csi.close();
    await driver.stop();
    await rm(dir, { recursive: true, force: true });
  });
  await client.storageClasses.create({
    apiVersion: "storage.k8s.io/v1",
    kind: "StorageClass",
    metadata: { name: className },
    provisioner: driverName,
    allowVolumeExpansion: true,
  });

  return {
    stowage,
    client,
    csi,
    endpoint,
    driverName,
    driverLog,
    async startResizer(extra = {}) {
      const resizer = await startResizer({
        client,
        csi,
        signal: new AbortController().signal,
        log: () => undefined,
        retryIntervalStartMs: 20,
        ...extra,
      });
      running.push(resizer);
      return resizer;
    },
    async volume(name, mib) {
      const size = `${mib}Mi`;
      const created = await csi.controller.CreateVolume({
        name,
        capacity_range: { required_bytes: mib * MiB },
        volume_capabilities: [{ mount: {}, access_mode: { mode: "SINGLE_NODE_WRITER" } }],
      });
      const volume = created.volume!;
      const claim = await client.persistentVolumeClaims.create({
        apiVersion: "v1",
        kind: "PersistentVolumeClaim",
        metadata: { name, namespace: "default" },
        spec: {
          accessModes: ["ReadWriteOnce"],
          resources: { requests: { storage: size } },
          storageClassName: className,
          volumeName: name,
        },
      } as PersistentVolumeClaim);
      const pv = await client.persistentVolumes.create({
        apiVersion: "v1",
        kind: "PersistentVolume",
        metadata: { name },
        spec: {
          capacity: { storage: size },
          accessModes: ["ReadWriteOnce"],
          persistentVolumeReclaimPolicy: "Delete",
          storageClassName: className,
          claimRef: { kind: "PersistentVolumeClaim", namespace: "default", name, uid: claim.metadata.uid },
          csi: { driver: driverName, volumeHandle: volume.volume_id, volumeAttributes: volume.volume_context },
        },
      });
      const bound = await client.persistentVolumes.updateStatus({ ...pv, status: { phase: "Bound" } });
      await client.persistentVolumeClaims.updateStatus({
        ...claim,
        status: { phase: "Bound", accessModes: ["ReadWriteOnce"], capacity: { storage: size } },
      });
      return bound;
    },
    async driverCapacities() {
      const out = new Map<string, number>();
      let token = "";
      do {
        const page = await csi.controller.ListVolumes({ starting_token: token });
        for (const entry of page.entries) out.set(entry.volume!.volume_id, Number(entry.volume!.capacity_bytes));
        token = page.next_token;
      } while (token);
      return out;
    },
  };
}
