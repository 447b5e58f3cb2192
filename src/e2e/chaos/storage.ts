// What the chaos cluster's storage is made of: the block driver's CSIDriver as `stowage up` ships it, a class that
// binds at once (claims without pods) and one that waits for the first consumer (pods and the StatefulSet).
import type { StorageClass } from "../../api/storage/types.js";
import { defaultCsiDrivers } from "../../cli/defaultstorage.js";
import type { Client } from "../../client/index.js";
import { defaultDriverName } from "../../csi/drivers/block/index.js";

export const immediateClass = "chaos-immediate";
export const consumerClass = "chaos";

const storageClass = (name: string, volumeBindingMode: StorageClass["volumeBindingMode"]): StorageClass => ({
  apiVersion: "storage.k8s.io/v1",
  kind: "StorageClass",
  metadata: { name },
  provisioner: defaultDriverName,
  parameters: { "csi.storage.k8s.io/fstype": "ext4" },
  reclaimPolicy: "Delete",
  volumeBindingMode,
});

export async function createStorage(client: Client): Promise<void> {
  for (const driver of defaultCsiDrivers(true)) {
    if (driver.metadata.name === defaultDriverName) await client.csiDrivers.create(driver);
  }
  await client.storageClasses.create(storageClass(immediateClass, "Immediate"));
  await client.storageClasses.create(storageClass(consumerClass, "WaitForFirstConsumer"));
}
