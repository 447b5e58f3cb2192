// What the provisioner's decisions share: the API client and its caches, the CSI driver, and what the driver
// said about itself at start (name, capabilities), so sync functions never ask twice.
import type { Node, PersistentVolume, PersistentVolumeClaim, Secret } from "../../../api/core/types.js";
import type { CSINode, StorageClass, VolumeAttachment } from "../../../api/storage/types.js";
import type { Client, EventRecorder, Lister } from "../../../client/index.js";
import type { CsiClient } from "../../client.js";

import type { Log } from "../../../support/log.js";

export interface ProvisionerContext {
  client: Client;
  csi: CsiClient;
  /** GetPluginInfo's name: claims whose storage-provisioner annotation names it are ours. */
  driverName: string;
  /** storage.kubernetes.io/csiProvisionerIdentity: "<start millis>-<random>-<driver>", as upstream. */
  identity: string;
  /** The plugin reports VOLUME_ACCESSIBILITY_CONSTRAINTS. */
  supportsTopology: boolean;
  /** The controller reports SINGLE_NODE_MULTI_WRITER (ReadWriteOnce/ReadWriteOncePod map to the finer modes). */
  supportsSingleNodeMultiWriter: boolean;
  claims: Lister<PersistentVolumeClaim>;
  volumes: Lister<PersistentVolume>;
  classes: Lister<StorageClass>;
  csiNodes: Lister<CSINode>;
  nodes: Lister<Node>;
  volumeAttachments: Lister<VolumeAttachment>;
  secrets: { get(namespace: string, name: string): Promise<Secret> };
  recorder: EventRecorder;
  /** --extra-create-metadata: pass csi.storage.k8s.io/pvc/name, pvc/namespace, pv/name to CreateVolume. */
  extraCreateMetadata: boolean;
  /** --default-fstype. */
  defaultFsType: string;
  strictTopology: boolean;
  immediateTopology: boolean;
  /** Deadline of each CreateVolume/DeleteVolume (upstream's --timeout, 10 s). */
  timeoutMs: number;
  /**
   * claimsInProgress: claims whose CreateVolume may still be running in the driver (timeout, ABORTED, …). Kept
   * even when the claim is deleted, so provisioning finishes, the PV is made, and the PV controller then
   * releases it for deletion: a volume is never left behind by a claim deleted mid-flight.
   */
  inProgress: Map<string, PersistentVolumeClaim>;
  /** PV names this process created and the informer may not show yet: never provision them twice. */
  created: Set<string>;
  log: Log;
}
