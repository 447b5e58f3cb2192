// The inline half of kubernetes.io/csi: a pod's spec.volumes[].csi, a CSI volume whose life is the pod's
// (volumeLifecycleMode Ephemeral), as csi_mounter.go SetUpAt publishes it. The kubelet refuses it in NewMounter unless
// the driver's CSIDriver lists Ephemeral, and says so on the pod in a FailedMount event at every retry. Otherwise
// there is no attach and no NodeStage: NodePublishVolume at pods/<uid>/volumes/kubernetes.io~csi/<name>/mount, with a
// volume id made from the pod and the volume's name, and the driver makes the volume there. Tearing down is the
// persistent half's (csi.ts unpublishVolume: NodeUnpublishVolume, which deletes it), and so is reconstruction from
// vol_data.json, as upstream's one plugin does both.
import { createHash } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Pod } from "../../api/core/types.js";
import type { CSIDriver } from "../../api/storage/types.js";
import type { Lister } from "../../client/index.js";
import { pluginNames, volDataFile } from "../paths.js";
import type { MountedVolume } from "../volumemanager/actual.js";
import type { DesiredVolume } from "../volumemanager/desired.js";
import {
  describeCause,
  setUpAt,
  UncertainOperationError,
  VolumeOperationError,
  type PluginContext,
} from "./context.js";
import { unpublishVolume } from "./csi.js";
import {
  capability,
  driverOf,
  kubeletAppliesFSGroup,
  lifecycleModeError,
  newMounter,
  podInfoAttributes,
  uncertainUnlessFinal,
} from "./csivolume.js";
import { setVolumeOwnership } from "./ownership.js";
import type { VolumePlugin } from "./plugin.js";

type EphemeralCsiVolume = Extract<DesiredVolume, { kind: "csiEphemeral" }>;

const setUp = "MountVolume.SetUp";

/** Why the driver cannot take an inline volume, or undefined when its CSIDriver lists Ephemeral. */
export const ephemeralModeError = (drivers: Lister<CSIDriver>, driver: string): string | undefined =>
  lifecycleModeError(drivers, driver, "Ephemeral");

/** csi_plugin.go makeVolumeHandle: "csi-" and the sha256 of the pod's UID followed by the volume's name. */
export const makeVolumeHandle = (podUid: string, volumeName: string): string =>
  `csi-${createHash("sha256").update(`${podUid}${volumeName}`).digest("hex")}`;

/** csi_mounter.go: the volume's attributes, plus the pod's identity (ephemeral "true") when podInfoOnMount. */
export function ephemeralVolumeContext(ctx: PluginContext, volume: EphemeralCsiVolume, pod: Pod) {
  const attributes = { ...(volume.source.volumeAttributes ?? {}) };
  if (ctx.csiDrivers.get(volume.source.driver)?.spec.podInfoOnMount)
    Object.assign(attributes, podInfoAttributes(pod, true));
  return attributes;
}

/** getCredentialsFromSecret: the nodePublishSecretRef's data, decoded, from the pod's namespace. */
async function publishSecrets(ctx: PluginContext, volume: EphemeralCsiVolume, pod: Pod) {
  const name = volume.source.nodePublishSecretRef?.name;
  if (!name) return {};
  const namespace = pod.metadata.namespace ?? "default";
  const key = `${namespace}/${name}`;
  await ctx.secrets.ready?.(key);
  const secret = ctx.secrets.get(key);
  if (!secret) {
    throw new VolumeOperationError(
      setUp,
      volume.outerName,
      `fetching NodePublishSecretRef ${namespace}/${name} failed: kubernetes.io/csi: failed to find the secret ` +
        `${name} in the namespace ${namespace} with error: secrets "${name}" not found`,
    );
  }
  return Object.fromEntries(
    Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]),
  );
}

/** SetUp: NodePublishVolume of the inline volume, nothing staged, nothing attached. */
async function publishEphemeral(
  ctx: PluginContext,
  volume: EphemeralCsiVolume,
  pod: Pod,
  key: string,
): Promise<MountedVolume> {
  const driverName = volume.source.driver;
  const refused = ephemeralModeError(ctx.csiDrivers, driverName);
  if (refused) throw new VolumeOperationError(newMounter, volume.outerName, refused);
  const driver = driverOf(ctx, driverName, volume.outerName, setUp, "mounter.SetUpAt failed to get CSI client");
  const secrets = await publishSecrets(ctx, volume, pod);
  // Upstream publishes every inline volume ReadWriteOnce, with its own fsType and nothing else.
  const view = {
    accessModes: ["ReadWriteOnce"],
    volumeMode: "Filesystem" as const,
    mountOptions: [],
    fsGroup: volume.fsGroup,
    readOnly: Boolean(volume.source.readOnly),
    source: { fsType: volume.source.fsType },
  };
  const volumeHandle = makeVolumeHandle(volume.podUid, volume.outerName);
  const dir = ctx.paths.podVolumeDir(volume.podUid, volume.plugin, volume.innerName);
  const targetPath = join(dir, "mount");
  const data = {
    driverName,
    volumeHandle,
    specVolID: volume.outerName,
    nodeName: ctx.nodeName,
    stagingPath: "",
    volumeLifecycleMode: "Ephemeral" as const,
  };
  const mounted = setUpAt(volume, key, dir, { csi: { ...data, targetPath } });
  try {
    await mkdir(dir, { recursive: true, mode: 0o750 });
    await writeFile(join(dir, volDataFile), JSON.stringify(data));
    await driver.client.node.NodePublishVolume({
      volume_id: volumeHandle,
      publish_context: {},
      staging_target_path: "",
      target_path: targetPath,
      volume_capability: capability(view, driver),
      readonly: view.readOnly,
      secrets,
      volume_context: ephemeralVolumeContext(ctx, volume, pod),
    });
  } catch (err) {
    const failure = new VolumeOperationError(setUp, volume.outerName, describeCause(err));
    throw uncertainUnlessFinal(failure, err, { volume: { ...mounted, uncertain: true } });
  }
  if (kubeletAppliesFSGroup(ctx.csiDrivers.get(driverName)?.spec.fsGroupPolicy, view, driver)) {
    try {
      await setVolumeOwnership(targetPath, volume.fsGroup, volume.fsGroupChangePolicy, false);
    } catch (err) {
      const reason = `applyFSGroup failed for vol ${volumeHandle}: ${describeCause(err)}`;
      throw new UncertainOperationError(new VolumeOperationError(setUp, volume.outerName, reason), {
        volume: { ...mounted, uncertain: true },
      });
    }
  }
  return mounted;
}

export const csiEphemeralPlugin: VolumePlugin<EphemeralCsiVolume> = {
  // Filed under the csi plugin's name, as upstream's one plugin does both; the registry keeps the name for the
  // persistent half, which tears down and reconstructs whatever is filed there.
  name: pluginNames.csi,
  setUp: (ctx, volume, pod, key) => publishEphemeral(ctx, volume, pod, key),
  tearDown: unpublishVolume,
};
