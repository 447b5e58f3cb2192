// The attach-detach controller's storage_operation_duration_seconds: upstream's CSI attacher creates the
// VolumeAttachment and waits for it to say attached (or to be gone, for a detach), and the operation executor times
// that whole wait. Ours does not wait in a worker: the timer starts when we create (delete) the attachment and
// stops when the watch shows it attached, failed, or gone.
import type { VolumeAttachment } from "../../api/storage/types.js";
import { observeStorageOperation, qualifiedPluginName } from "../../client/index.js";

const attaching = new Map<string, number>();
const detaching = new Map<string, number>();

const plugin = (attachment: VolumeAttachment) => qualifiedPluginName("kubernetes.io/csi", attachment.spec.attacher);
const since = (start: number) => (performance.now() - start) / 1000;

export function attachStarted(name: string): void {
  if (!attaching.has(name)) attaching.set(name, performance.now());
}

export function detachStarted(name: string): void {
  if (!detaching.has(name)) detaching.set(name, performance.now());
}

/** A watched attachment changed: an attach we started has succeeded or failed. */
export function attachmentChanged(attachment: VolumeAttachment): void {
  const name = attachment.metadata.name ?? "";
  const start = attaching.get(name);
  if (start === undefined) return;
  if (attachment.status?.attached)
    observeStorageOperation(plugin(attachment), "volume_attach", "success", since(start));
  else if (attachment.status?.attachError) {
    observeStorageOperation(plugin(attachment), "volume_attach", "fail-unknown", since(start));
  } else return;
  attaching.delete(name);
}

/** A watched attachment is gone: a detach we started has finished. */
export function attachmentDeleted(attachment: VolumeAttachment): void {
  const name = attachment.metadata.name ?? "";
  attaching.delete(name);
  const start = detaching.get(name);
  if (start === undefined) return;
  observeStorageOperation(plugin(attachment), "volume_detach", "success", since(start));
  detaching.delete(name);
}
