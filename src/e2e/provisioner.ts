// Test world for the provisioner: a real stowage (apiserver on SQLite + the controller-manager's PV controller),
// the real hostpath driver over gRPC on a temp unix socket, and the provisioner, all stopped in t.after.
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import type { TestContext } from "node:test";
import type { PersistentVolumeClaim } from "../api/core/types.js";
import type { StorageClass } from "../api/storage/types.js";
import { controllerManagerComponent } from "../cli/controllermanager.js";
import { startStowage, type Stowage } from "./stowage.js";
import { createClient, type Client } from "../client/index.js";
import type { DriverOptions } from "../csi/drivers/options.js";
import { readState } from "../csi/drivers/hostpath/state.js";
import { startHostpath, type InProcessDriver } from "../csi/drivers/hostpath/testing/driver.js";
import {
  startProvisioner,
  type ProvisionerOptions,
  type RunningProvisioner,
} from "../csi/sidecars/provisioner/controller.js";

export const driverName = "hostpath.csi.stowage.dev";

export interface World {
  stowage: Stowage;
  client: Client;
  driver: InProcessDriver;
  /** Undefined with `inProcess: false` (tests that run it as a child process). */
  provisioner: RunningProvisioner | undefined;
  logs: string[];
  /** Starts another provisioner (after the first was stopped, e.g. to test restarts). */
  startProvisioner(options?: Partial<ProvisionerOptions>): Promise<RunningProvisioner>;
  /** Directory names of the volumes the driver holds on disk. */
  volumeDirs(): Promise<string[]>;
  /** The driver's own records (state.json with its journal): name and the parameters CreateVolume got, by volume id. */
  driverVolumes(): Promise<Record<string, { name: string; parameters: Record<string, string> }>>;
}

export async function startWorld(
  t: TestContext,
  options: {
    driver?: Partial<DriverOptions>;
    provisioner?: Partial<ProvisionerOptions>;
    controllers?: boolean;
    inProcess?: boolean;
  } = {},
): Promise<World> {
  const driver = await startHostpath(t, { nodeId: "node-1", ...options.driver });
  const stowage = await startStowage(t, {
    components: options.controllers === false ? [] : [controllerManagerComponent],
  });
  const client = createClient(stowage.transport());
  const logs: string[] = [];
  const running: RunningProvisioner[] = [];
  const start = async (extra: Partial<ProvisionerOptions> = {}) => {
    const abort = new AbortController();
    const provisioner = await startProvisioner({
      client,
      csi: driver.client,
      signal: abort.signal,
      log: (message, fields) => logs.push(`${message} ${JSON.stringify(fields ?? {})}`),
      ...options.provisioner,
      ...extra,
    });
    running.push(provisioner);
    return provisioner;
  };
  // Registered last, so it runs first: the provisioner stops before the apiserver and the driver.
  t.after(async () => {
    for (const p of running) await p.stop();
  });
  const provisioner = options.inProcess === false ? undefined : await start();
  return {
    stowage,
    client,
    driver,
    provisioner,
    logs,
    startProvisioner: start,
    async volumeDirs() {
      return readdir(join(driver.stateDir, "volumes")).catch(() => []);
    },
    async driverVolumes() {
      return (await readState(driver.stateDir)).volumes;
    },
  };
}

export function storageClass(name: string, extra: Partial<StorageClass> = {}): StorageClass {
  return {
    apiVersion: "storage.k8s.io/v1",
    kind: "StorageClass",
    metadata: { name },
    provisioner: driverName,
    reclaimPolicy: "Delete",
    volumeBindingMode: "Immediate",
    ...extra,
  };
}

export function claim(
  name: string,
  className: string,
  size = "1Gi",
  extra: Partial<PersistentVolumeClaim["spec"]> = {},
): PersistentVolumeClaim {
  return {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name, namespace: "default" },
    spec: {
      accessModes: ["ReadWriteOnce"],
      storageClassName: className,
      resources: { requests: { storage: size } },
      ...extra,
    },
  };
}

/** Polls until check returns a value other than undefined. */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${String(last)}` : ""}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
