// csi-lib-utils' metrics as every CSI sidecar exports them: csi_sidecar_operations_seconds, one histogram of the
// sidecar's gRPC calls to its driver by driver, method and status code, for /metrics.
import { Histogram } from "prom-client";

const operations = new Histogram({
  name: "csi_sidecar_operations_seconds",
  help: "Container Storage Interface operation duration with gRPC error code status total",
  labelNames: ["driver_name", "method_name", "grpc_status_code"],
  buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 25, 50, 120, 300, 600],
});

// Go's codes.Code String(): what the label says ("OK", "DeadlineExceeded"), not grpc-js' SCREAMING_CASE names.
const goCodeNames = [
  "OK",
  "Canceled",
  "Unknown",
  "InvalidArgument",
  "DeadlineExceeded",
  "NotFound",
  "AlreadyExists",
  "PermissionDenied",
  "ResourceExhausted",
  "FailedPrecondition",
  "Aborted",
  "OutOfRange",
  "Unimplemented",
  "Internal",
  "Unavailable",
  "DataLoss",
  "Unauthenticated",
];

export interface SidecarMetrics {
  /** For CsiClient.connect's `observe`. */
  observe(method: string, code: number, seconds: number): void;
  /** The driver's name once GetPluginInfo told it; calls before that count as "unknown-driver", as upstream's. */
  driverName: string;
}

export function sidecarMetrics(): SidecarMetrics {
  const metrics: SidecarMetrics = {
    driverName: "unknown-driver",
    observe(method, code, seconds) {
      const grpc_status_code = goCodeNames[code] ?? `Code(${code})`;
      operations.observe({ driver_name: metrics.driverName, method_name: method, grpc_status_code }, seconds);
    },
  };
  return metrics;
}
