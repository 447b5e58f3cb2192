// Snapshots for `stowage up`: one csi-snapshotter per driver (the snapshot controller runs in up's controller-manager,
// as upstream's single snapshot-controller deployment), and a default VolumeSnapshotClass per driver (`standard-snapshots` for hostpath,
// `<short>-snapshots` otherwise) so a VolumeSnapshot without a class works out of the box.
import type { VolumeSnapshotClass } from "../api/snapshot/types.js";
import { AnnIsDefaultSnapshotClass } from "../api/wellknown.js";
import { createClient, isAlreadyExists } from "../client/index.js";
import { serviceAccountUserInfo } from "../api/user.js";
import { clusterAdmin } from "./upsecurity.js";
import type { UpContext } from "./component.js";
import type { CsiClient } from "../csi/client.js";
import { startSnapshotter } from "../csi/sidecars/snapshotter/controller.js";

export const snapshotClassNameFor = (short: string): string =>
  short === "hostpath" ? "standard-snapshots" : `${short}-snapshots`;

/**
 * Starts what snapshots of one driver need. Never throws: problems are said on up's output, as the other sidecars'.
 * `stops` receives what must be stopped on shutdown.
 */
export async function startUpSnapshots(
  ctx: UpContext,
  short: string,
  csi: CsiClient,
  defaultStorage: boolean,
  stops: { name: string; stop(): Promise<void> }[],
): Promise<void> {
  const log = (who: string) => (message: string, fields?: Record<string, unknown>) =>
    ctx.log(`${who}: ${message} ${fields ? JSON.stringify(fields) : ""}`);
  try {
    const sidecar = await startSnapshotter({
      client: createClient(ctx.transport(serviceAccountUserInfo("kube-system", "csi-snapshotter")), {
        userAgent: "stowage-csi-snapshotter",
      }),
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
        await createClient(ctx.transport(clusterAdmin), { userAgent: "stowage-up" }).volumeSnapshotClasses.create(
          snapshotClass,
        );
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
