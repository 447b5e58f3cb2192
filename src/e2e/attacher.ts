// Test world for attach/detach: a real stowage (apiserver on SQLite, optionally the controller-manager), the real
// block driver for node-1 and node-2 on one shared state dir (the "cloud") over gRPC on temp unix sockets, Nodes
// and CSINodes registered through the API, and helpers to make block volumes with bound claims and pods using
// them. The node agent is not part of it: tests write Node status.volumesInUse themselves.
import type { TestContext } from "node:test";
import { join } from "node:path";
import type {
  Node,
  PersistentVolume,
  PersistentVolumeAccessMode,
  PersistentVolumeClaim,
  Pod,
} from "../api/core/types.js";
import type { CSINode } from "../api/storage/types.js";
import { controllerManagerComponent } from "../cli/controllermanager.js";
import { startStowage, type Stowage } from "./stowage.js";
import { retryOnConflict } from "./conformance/world.js";
import { createClient, type Client } from "../client/index.js";
import { defaultDriverName } from "../csi/drivers/block/index.js";
import { startTestDriver, testDir, type TestDriver } from "../csi/drivers/block/testing/harness.js";
import { uniqueVolumeName } from "../api/storage/attachmentnames.js";
import { startAttacher, type AttacherOptions, type RunningAttacher } from "../csi/sidecars/attacher/controller.js";

export const driverName = defaultDriverName;
export const MiB = 1 << 20;

export interface World {
  stowage: Stowage;
  client: Client;
  /** node-1's and node-2's block drivers (one cloud: the same state dir). */
  drivers: Record<"node-1" | "node-2", TestDriver>;
  logs: string[];
  /** Starts an attacher on node-1's driver socket; stopped in t.after unless stopped before. */
  startAttacher(options?: Partial<AttacherOptions>): Promise<RunningAttacher>;
  /** CreateVolume in the driver, then a PV for it and a claim bound to it (both marked Bound). */
  blockVolume(name: string, modes?: PersistentVolumeAccessMode[]): Promise<PersistentVolume>;
  /** A pod in "default" already scheduled to `nodeName` that mounts `claimName`. */
  pod(name: string, nodeName: string, claimName: string): Promise<Pod>;
  /** Writes node.status.volumesInUse as the node agent would. */
  setVolumesInUse(nodeName: string, volumes: PersistentVolume[]): Promise<void>;
  /** The driver's view: volume ID → node IDs it is published to (ListVolumes). */
  published(): Promise<Map<string, string[]>>;
}

export async function startWorld(t: TestContext, options: { controllers?: boolean } = {}): Promise<World> {
  const dir = await testDir(t, "stowage-attach-");
  const stateDir = join(dir, "cloud");
  const drivers = {
    "node-1": await startTestDriver(t, dir, { nodeId: "node-1", stateDir }),
    "node-2": await startTestDriver(t, dir, { nodeId: "node-2", stateDir }),
  };
  const stowage = await startStowage(t, { components: options.controllers ? [controllerManagerComponent] : [] });
  const client = createClient(stowage.transport());
  for (const name of ["node-1", "node-2"]) {
    const node: Node = {
      apiVersion: "v1",
      kind: "Node",
      metadata: { name, labels: { "kubernetes.io/hostname": name } },
    };
    await client.nodes.create(node);
    const csiNode: CSINode = {
      apiVersion: "storage.k8s.io/v1",
      kind: "CSINode",
      metadata: { name },
      spec: { drivers: [{ name: driverName, nodeID: name, topologyKeys: [] }] },
    };
    await client.csiNodes.create(csiNode);
  }
  const logs: string[] = [];
  const running: RunningAttacher[] = [];
  // Registered after the drivers' and stowage's hooks, so it runs first: attachers stop before what they use.
  t.after(async () => {
    for (const attacher of running) await attacher.stop();
  });

  return {
    stowage,
    client,
    drivers,
    logs,
    async startAttacher(extra = {}) {
      const attacher = await startAttacher({
        client,
        csi: drivers["node-1"].client,
        signal: new AbortController().signal,
        log: (message, fields) => logs.push(`${message} ${JSON.stringify(fields ?? {})}`),
        ...extra,
      });
      running.push(attacher);
      return attacher;
    },
    async blockVolume(name, modes = ["ReadWriteOnce"]) {
      const created = await drivers["node-1"].client.controller.CreateVolume({
        name,
        capacity_range: { required_bytes: 16 * MiB },
        volume_capabilities: [{ mount: { fs_type: "ext4" }, access_mode: { mode: "SINGLE_NODE_WRITER" } }],
      });
      const volume = created.volume!;
      const claim = await client.persistentVolumeClaims.create({
        apiVersion: "v1",
        kind: "PersistentVolumeClaim",
        metadata: { name, namespace: "default" },
        spec: {
          accessModes: modes,
          resources: { requests: { storage: "16Mi" } },
          storageClassName: "",
          volumeName: name,
        },
      } as PersistentVolumeClaim);
      await client.persistentVolumes.create({
        apiVersion: "v1",
        kind: "PersistentVolume",
        metadata: { name },
        spec: {
          capacity: { storage: "16Mi" },
          accessModes: modes,
          persistentVolumeReclaimPolicy: "Retain",
          storageClassName: "",
          claimRef: { kind: "PersistentVolumeClaim", namespace: "default", name, uid: claim.metadata.uid },
          csi: {
            driver: driverName,
            volumeHandle: volume.volume_id,
            fsType: "ext4",
            volumeAttributes: volume.volume_context,
          },
        },
      });
      // What the PV binder would write: both sides Bound. With the controllers running the binder may write first:
      // then again on its version.
      const boundVolume = await retryOnConflict(async () =>
        client.persistentVolumes.updateStatus({
          ...(await client.persistentVolumes.get(name)),
          status: { phase: "Bound" },
        }),
      );
      await retryOnConflict(async () =>
        client.persistentVolumeClaims.updateStatus({
          ...(await client.persistentVolumeClaims.get("default", name)),
          status: { phase: "Bound", accessModes: modes, capacity: { storage: "16Mi" } },
        }),
      );
      return boundVolume;
    },
    pod(name, nodeName, claimName) {
      return client.pods.create({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name, namespace: "default" },
        spec: {
          nodeName,
          containers: [{ name: "app", image: "busybox", volumeMounts: [{ name: "data", mountPath: "/data" }] }],
          volumes: [{ name: "data", persistentVolumeClaim: { claimName } }],
        },
      } as Pod);
    },
    async setVolumesInUse(nodeName, volumes) {
      const names = volumes.map((v) => uniqueVolumeName(v.spec.csi!.driver, v.spec.csi!.volumeHandle));
      await client.nodes.patch(
        nodeName,
        "merge",
        { status: { volumesInUse: names.length ? names : null } },
        {
          subresource: "status",
        },
      );
    },
    async published() {
      const out = new Map<string, string[]>();
      let token = "";
      do {
        const page = await drivers["node-1"].client.controller.ListVolumes({ starting_token: token });
        for (const entry of page.entries) {
          out.set(entry.volume!.volume_id, [...(entry.status?.published_node_ids ?? [])]);
        }
        token = page.next_token;
      } while (token);
      return out;
    },
  };
}
