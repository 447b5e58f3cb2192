// The inline half of kubernetes.io/csi: a pod's spec.volumes[].csi, a CSI volume whose life is the pod's
// (volumeLifecycleMode Ephemeral). The kubelet refuses it in NewMounter unless the driver's CSIDriver lists
// Ephemeral, and says so on the pod in a FailedMount event at every retry; stowage does that, and mounts no
// ephemeral CSI volume yet even for a driver that lists the mode (the event says so).
import type { CSIDriver } from "../../api/storage/types.js";
import type { Lister } from "../../client/index.js";
import { DriverNotFoundError } from "../csidrivers.js";
import { pluginNames } from "../paths.js";
import type { DesiredVolume } from "../volumemanager/desired.js";
import { VolumeOperationError } from "./context.js";
import type { VolumePlugin } from "./plugin.js";

type EphemeralCsiVolume = Extract<DesiredVolume, { kind: "csiEphemeral" }>;

/** operation_generator.go's prefix for a mounter that could not be made: "… initialization failed for volume". */
const newMounter = "MountVolume.NewMounter initialization";

/** Go's %q of a []string: each quoted, space-separated, in brackets. */
const goQuoteList = (values: readonly string[]) => `[${values.map((v) => JSON.stringify(v)).join(" ")}]`;

/**
 * csi_plugin.go supportsVolumeLifecycleMode for "Ephemeral": why the driver cannot take an inline volume, or
 * undefined when its CSIDriver lists the mode. Without a CSIDriver only Persistent volumes are assumed.
 */
export function ephemeralModeError(drivers: Lister<CSIDriver>, driver: string): string | undefined {
  const object = drivers.get(driver);
  if (!object) return `volume mode "Ephemeral" not supported by driver ${driver} (no CSIDriver object)`;
  const modes = object.spec.volumeLifecycleModes ?? ["Persistent"];
  if (modes.includes("Ephemeral")) return undefined;
  return `volume mode "Ephemeral" not supported by driver ${driver} (only supports ${goQuoteList(modes)})`;
}

export const csiEphemeralPlugin: VolumePlugin<EphemeralCsiVolume> = {
  // Filed under the csi plugin's name, as upstream's one plugin does both; the registry keeps the name for the
  // persistent half, which tears down whatever is filed there.
  name: pluginNames.csi,
  setUp: (ctx, volume) => {
    const driver = volume.source.driver;
    const refused = ephemeralModeError(ctx.csiDrivers, driver);
    if (refused) return Promise.reject(new VolumeOperationError(newMounter, volume.outerName, refused));
    // csi_mounter.go SetUpAt: a driver not registered on this node is the next thing the kubelet finds
    const reason = ctx.csi.has(driver)
      ? `stowage's node agent does not mount ephemeral (inline) CSI volumes yet`
      : `kubernetes.io/csi: mounter.SetUpAt failed to get CSI client: ${new DriverNotFoundError(driver).message}`;
    return Promise.reject(new VolumeOperationError("MountVolume.SetUp", volume.outerName, reason));
  },
  // Nothing is ever set up, so there is nothing to tear down.
  tearDown: () => Promise.resolve(),
};
