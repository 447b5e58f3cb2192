// storage_operation_duration_seconds (pkg/volume/util/metrics.go): one histogram that both the attach-detach
// controller (volume_attach, volume_detach) and the node (volume_mount, volume_unmount, …) observe, defined once
// here because in `stowage up` they share one process and one registry.
import { Histogram } from "prom-client";

const operationDuration = new Histogram({
  name: "storage_operation_duration_seconds",
  help: "Storage operation duration",
  labelNames: ["volume_plugin", "operation_name", "status", "migrated"],
  buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 25, 50, 120, 300, 600],
});

/** GetFullQualifiedPluginNameForVolume: a CSI volume counts under its driver, "kubernetes.io/csi:<driver>". */
export function qualifiedPluginName(plugin: string, driver: string | undefined): string {
  return plugin === "kubernetes.io/csi" && driver ? `${plugin}:${driver}` : plugin;
}

/** `status` is upstream's "success" or "fail-unknown". */
export function observeStorageOperation(
  volumePlugin: string,
  operation: string,
  status: "success" | "fail-unknown",
  seconds: number,
): void {
  operationDuration.observe(
    { volume_plugin: volumePlugin, operation_name: operation, status, migrated: "false" },
    seconds,
  );
}
