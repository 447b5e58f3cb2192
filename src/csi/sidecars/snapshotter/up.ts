// Snapshots for `stowage up`: one csi-snapshotter per driver (the snapshot controller runs in up's controller-manager,
// as upstream's single snapshot-controller deployment), and a default VolumeSnapshotClass per driver (`standard-snapshots` for hostpath,
// `<short>-snapshots` otherwise) so a VolumeSnapshot without a class works out of the box.
import type { ApiHandler } from "../../../api/http.js";
import type { VolumeSnapshotClass } from "../../../api/snapshot/types.js";
import { AnnIsDefaultSnapshotClass } from "../../../api/wellknown.js";
import { createClient, inProcessTransport, isAlreadyExists } from "../../../client/index.js";
import type { CsiClient } from "../../client.js";
import { startSnapshotter } from "./controller.js";

export const snapshotClassNameFor = (short: string): string =>
  short === "hostpath" ? "standard-snapshots" : `${short}-snapshots`;

/** What starting snapshots in `stowage up` uses of up's context (csi never imports cli). */
export interface SnapshotsUpContext {
  /** The apiserver's handler: the sidecar's clients talk to it in-process. */
  handler: ApiHandler;
  /** Aborted when stowage stops. */
  signal: AbortSignal;
  /** A diagnostic line. */
  log(message: string): void;
  /** A line for up's startup output. */
  say(line: string): void;
}

/**
 * Starts what snapshots of one driver need. Never throws: problems are said on up's output, as the other sidecars'.
 * `stops` receives what must be stopped on shutdown.
 */
export async function startUpSnapshots(
  ctx: SnapshotsUpContext,
  short: string,
  csi: CsiClient,
  defaultStorage: boolean,
  stops: { name: string; stop(): Promise<void> }[],
): Promise<void> {
  const client = (agent: string) => createClient(inProcessTransport(ctx.handler), { userAgent: agent });
  const log = (who: string) => (message: string, fields?: Record<string, unknown>) =>
    ctx.log(`${who}: ${message} ${fields ? JSON.stringify(fields) : ""}`);
  try {
    const sidecar = await startSnapshotter({
      client: client("stowage-csi-snapshotter"),
      csi,
      signal: ctx.signal,
      log: log(`csi-snapshotter (${short})`),
    });
    stops.push({ name: `${short} snapshotter`, stop: () => sidecar.stop() });
    if (defaultStorage) {
      const snapshotClass: VolumeSnapshotClass = {
        apiVersion: "snapshot.storage.k8s.io/v1",
        kind: "VolumeSnapshotClass",
        metadata: { name: snapshotClassNameFor(short), annotations: { [AnnIsDefaultSnapshotClass]: "true" } },
        driver: sidecar.driverName,
        deletionPolicy: "Delete",
      };
      try {
        await client("stowage-up").volumeSnapshotClasses.create(snapshotClass);
        ctx.say(`created VolumeSnapshotClass ${snapshotClass.metadata.name} (default) → ${sidecar.driverName}`);
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
      }
    }
    ctx.say(`${short}: csi-snapshotter running`);
  } catch (err) {
    ctx.say(`${short} csi-snapshotter: NOT started: ${(err as Error).message}`);
  }
}
