// A gate in front of a real CSI driver for snapshot tests: it forwards what a csi-snapshotter calls, records what
// reaches the driver (CreateSnapshot's parameters and secrets, DeleteSnapshot's secrets), and can hold a
// CreateSnapshot in flight until released, so a test can act while the driver is "still cutting".
import type { CsiClient } from "../../../client.js";
import { serveCsi } from "../../../server.js";

export interface SnapshotCall {
  method: "CreateSnapshot" | "DeleteSnapshot";
  name?: string;
  snapshotId?: string;
  parameters?: Record<string, string>;
  secrets: Record<string, string>;
}

export interface SnapshotGate {
  endpoint: string;
  /** Calls that reached the driver, in order. */
  calls: SnapshotCall[];
  /** Holds CreateSnapshot calls whose name matches until release(). */
  hold(match: (name: string) => boolean): void;
  /** Resolves once a held call is waiting. */
  held(): Promise<void>;
  release(): void;
  stop(): Promise<void>;
}

export async function startSnapshotGate(endpoint: string, driver: CsiClient): Promise<SnapshotGate> {
  const calls: SnapshotCall[] = [];
  let match: (name: string) => boolean = () => false;
  let release: () => void = () => undefined;
  let released = Promise.resolve();
  let onHeld: () => void = () => undefined;
  let heldOnce = new Promise<void>((resolve) => (onHeld = resolve));
  const server = await serveCsi(endpoint, {
    identity: {
      GetPluginInfo: (request) => driver.identity.GetPluginInfo(request),
      GetPluginCapabilities: (request) => driver.identity.GetPluginCapabilities(request),
      Probe: (request) => driver.identity.Probe(request),
    },
    controller: {
      ControllerGetCapabilities: (request) => driver.controller.ControllerGetCapabilities(request),
      ListSnapshots: (request) => driver.controller.ListSnapshots(request as never),
      async CreateSnapshot(request) {
        if (match(request.name)) {
          onHeld();
          await released;
        }
        calls.push({
          method: "CreateSnapshot",
          name: request.name,
          parameters: { ...request.parameters },
          secrets: { ...request.secrets },
        });
        return driver.controller.CreateSnapshot(request as never);
      },
      async DeleteSnapshot(request) {
        calls.push({ method: "DeleteSnapshot", snapshotId: request.snapshot_id, secrets: { ...request.secrets } });
        return driver.controller.DeleteSnapshot(request as never);
      },
    },
  });
  return {
    endpoint,
    calls,
    hold(m) {
      match = m;
      released = new Promise<void>((resolve) => (release = resolve));
      heldOnce = new Promise<void>((resolve) => (onHeld = resolve));
    },
    held: () => heldOnce,
    release() {
      match = () => false;
      release();
    },
    stop: () => server.stop(0),
  };
}
