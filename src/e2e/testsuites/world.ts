// The world of the driver matrix: one `stowage up --runtime process` per suite file with both drivers running
// (the block driver when this machine has loop devices), shared by every driver's patterns in that file, and the
// few builders the patterns need: claims of a driver's class, pods that run a script and are done.
import assert from "node:assert/strict";
import { join } from "node:path";
import type { TestContext } from "node:test";
import type { PersistentVolumeClaim, Pod, Volume } from "../../api/core/types.js";
import { createClient, type Client } from "../../client/index.js";
import { CsiClient } from "../../csi/client.js";
import { startProcessStowage, type ProcessStowage } from "../processruntime.js";
import { eventually } from "../stowage.js";
import type { TestDriver } from "./drivers.js";

export interface SuiteWorld {
  stowage: ProcessStowage;
  client: Client;
  /** A name no other pattern in this world uses: `<base>-<n>`. */
  unique(base: string): string;
}

export async function startSuiteWorld(t: TestContext, options: { nodes?: number } = {}): Promise<SuiteWorld> {
  const stowage = await startProcessStowage(t, options);
  const client = createClient(stowage.transport());
  let made = 0;
  return { stowage, client, unique: (base) => `${base}-${++made}` };
}

export interface ClaimOptions {
  size?: string;
  accessModes?: string[];
  volumeMode?: "Filesystem" | "Block";
  storageClassName?: string;
  dataSource?: { kind: string; name: string; apiGroup?: string };
}

export function claimOf(driver: TestDriver, name: string, options: ClaimOptions = {}): PersistentVolumeClaim {
  return {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name, namespace: "default" },
    spec: {
      accessModes: (options.accessModes ?? ["ReadWriteOnce"]) as PersistentVolumeClaim["spec"]["accessModes"],
      storageClassName: options.storageClassName ?? driver.storageClass,
      resources: { requests: { storage: options.size ?? "16Mi" } },
      ...(options.volumeMode ? { volumeMode: options.volumeMode } : {}),
      ...(options.dataSource ? { dataSource: options.dataSource } : {}),
    },
  };
}

export interface PodOptions {
  /** Mounts of the pod's volumes (default: each volume at /mnt/<name>). */
  mounts?: Array<{ name: string; mountPath: string; subPath?: string; readOnly?: boolean }>;
  devices?: Array<{ name: string; devicePath: string }>;
  securityContext?: Pod["spec"]["securityContext"];
  nodeSelector?: Record<string, string>;
  /** Keep running (sleep) after the script, for patterns that need the pod to hold its volume. */
  stay?: boolean;
}

export function podOf(name: string, script: string, volumes: Volume[], options: PodOptions = {}): Pod {
  const mounts = options.devices
    ? []
    : (options.mounts ?? volumes.map((v) => ({ name: v.name, mountPath: `/mnt/${v.name}` })));
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "default" },
    spec: {
      restartPolicy: "Never",
      ...(options.securityContext ? { securityContext: options.securityContext } : {}),
      ...(options.nodeSelector ? { nodeSelector: options.nodeSelector } : {}),
      containers: [
        {
          name: "main",
          image: "busybox",
          command: ["sh", "-c", options.stay ? `${script}; exec sleep 3600` : script],
          ...(mounts.length ? { volumeMounts: mounts } : {}),
          ...(options.devices ? { volumeDevices: options.devices } : {}),
        },
      ],
      volumes,
    },
  };
}

export const claimVolume = (name: string, claimName: string, readOnly = false): Volume => ({
  name,
  persistentVolumeClaim: { claimName, ...(readOnly ? { readOnly } : {}) },
});

/** Creates the objects (in order) through the admin's client. */
export async function create(world: SuiteWorld, ...objects: Array<PersistentVolumeClaim | Pod>): Promise<void> {
  for (const object of objects) {
    if (object.kind === "Pod") await world.client.pods.create(object);
    else await world.client.persistentVolumeClaims.create(object);
  }
}

/** Runs a pod to completion: Succeeded, its output returned, the pod deleted (so its volumes are let go). */
export async function runToCompletion(world: SuiteWorld, pod: Pod, timeoutSeconds = 60): Promise<string> {
  await create(world, pod);
  const name = pod.metadata.name ?? "";
  await world.stowage.waitForPhase(name, "Succeeded", timeoutSeconds);
  const output = await world.stowage.kubectl("logs", name);
  await world.stowage.kubectl("delete", "pod", name, "--timeout=60s");
  return output;
}

/** Starts a pod and waits until it runs (its script done once `ready` shows in its log). */
export async function runUntil(world: SuiteWorld, pod: Pod, ready: string): Promise<void> {
  await create(world, pod);
  const name = pod.metadata.name ?? "";
  await world.stowage.waitForPhase(name, "Running", 60);
  await eventually(
    async () => ((await world.stowage.kubectl("logs", name)).includes(ready) ? true : undefined),
    30_000,
  );
}

export async function deletePod(world: SuiteWorld, name: string): Promise<void> {
  await world.stowage.kubectl("delete", "pod", name, "--timeout=60s", "--grace-period=1");
}

/** The claim once Bound (its PV provisioned), within 60 s. */
export async function boundClaim(world: SuiteWorld, name: string): Promise<PersistentVolumeClaim> {
  return eventually(async () => {
    const claim = await world.client.persistentVolumeClaims.get("default", name);
    return claim.status?.phase === "Bound" ? claim : undefined;
  }, 60_000);
}

/** Events about an object, by reason, as `kubectl describe` lists them. */
export async function eventsFor(world: SuiteWorld, name: string, reason: string): Promise<string[]> {
  const events = await world.client.events.list({ namespace: "default" });
  return events.items.filter((e) => e.involvedObject.name === name && e.reason === reason).map((e) => e.message ?? "");
}

export function assertLines(output: string, want: string[]): void {
  assert.deepEqual(output.trim().split("\n"), want);
}

/** The driver's own view of its volumes on `node` (ListVolumes on that node's instance: `csi/<driver>-<node>.sock`). */
export async function driverVolumeIds(world: SuiteWorld, driver: TestDriver, node: string): Promise<string[]> {
  const csi = await CsiClient.connect(`unix://${join(world.stowage.dataDir, "csi", `${driver.name}-${node}.sock`)}`);
  try {
    const { entries } = await csi.controller.ListVolumes({});
    return entries.map((e) => e.volume?.volume_id ?? "");
  } finally {
    csi.close();
  }
}
