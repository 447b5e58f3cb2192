// /metrics on `stowage up`, scraped as Prometheus scrapes kube-apiserver: GET /metrics with credentials of the group
// system:monitoring (here through the admin's impersonation, over HTTPS with the real kubectl). Every component runs
// in the one process, so the apiserver's /metrics shows them all, with upstream's metric names.
import assert from "node:assert/strict";
import { test } from "node:test";
import { sample, type Labels } from "../e2e/metrics.js";
import { startUpWorld } from "../e2e/upworld.js";

const hostpath = "kubernetes.io/csi:hostpath.csi.stowage.dev";

const example = `
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: disk}
spec:
  storageClassName: block
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 64Mi}}
---
apiVersion: v1
kind: Pod
metadata: {name: app}
spec:
  containers: [{name: app, image: busybox, volumeMounts: [{name: data, mountPath: /data}, {name: disk, mountPath: /disk}]}]
  volumes:
    - {name: data, persistentVolumeClaim: {claimName: data}}
    - {name: disk, persistentVolumeClaim: {claimName: disk}}
`;

test("an authorized GET /metrics shows requests, queues, binding, CSI calls and mounts moving; others get 403", async (t) => {
  const { s } = await startUpWorld(t, "stowage-metrics-");
  const scrape = () => s.kubectl("get", "--raw", "/metrics", "--as=prometheus", "--as-group=system:monitoring");
  const before = await scrape();
  assert.match(before, /^# TYPE apiserver_request_total counter$/m);
  assert.match(before, /^# TYPE apiserver_request_duration_seconds histogram$/m);

  await s.kubectlResult(["apply", "-f", "-"], { input: example });
  await s.kubectl("wait", "pod/app", "--for=condition=Ready", "--timeout=60s");
  await s.kubectl("wait", "pvc/data", "--for=jsonpath={.status.phase}=Bound", "--timeout=30s");
  // a watch counts when it ends, its length as its latency (upstream's WATCH)
  await s.kubectl("get", "--raw", "/api/v1/namespaces/default/persistentvolumeclaims?watch=1&timeoutSeconds=1");
  const after = await scrape();
  const moved = (name: string, labels: Labels = {}) => sample(after, name, labels) - sample(before, name, labels);

  // apiserver: the claim's creation, with upstream's labels
  const created = { verb: "POST", resource: "persistentvolumeclaims", scope: "namespace", component: "apiserver" };
  assert.ok(moved("apiserver_request_total", { ...created, code: "201", group: "", version: "v1" }) >= 1);
  assert.ok(moved("apiserver_request_duration_seconds_count", created) >= 1);
  const watched = { verb: "WATCH", resource: "persistentvolumeclaims", scope: "namespace", code: "200" };
  assert.ok(moved("apiserver_request_total", watched) >= 1);
  const { code: _code, ...watchedLatency } = watched;
  assert.ok(moved("apiserver_request_duration_seconds_sum", watchedLatency) >= 0.9, "the watch lasted its 1 s");
  // controller-manager: the binder's queues and its collector
  assert.ok(moved("workqueue_adds_total", { name: "claims" }) >= 1);
  assert.ok(moved("workqueue_work_duration_seconds_count", { name: "claims" }) >= 1);
  assert.match(after, /^workqueue_depth\{name="claims"\} \d+$/m);
  assert.match(after, /^workqueue_longest_running_processor_seconds\{name="volumes"\} [\d.e-]+$/m);
  assert.equal(sample(after, "pv_collector_bound_pvc_count", { namespace: "default", storage_class: "standard" }), 1);
  assert.equal(sample(before, "pv_collector_bound_pvc_count", { namespace: "default" }), 0);
  assert.ok(sample(after, "pv_collector_bound_pv_count", { storage_class: "standard" }) >= 1);
  // the csi-provisioner's CreateVolume, as csi-lib-utils labels it
  const createVolume = { driver_name: "hostpath.csi.stowage.dev", method_name: "/csi.v1.Controller/CreateVolume" };
  assert.ok(moved("csi_sidecar_operations_seconds_count", { ...createVolume, grpc_status_code: "OK" }) >= 1);
  // the node: the mount as an operation, the volume in both worlds, and the mounted claim's filesystem
  // the attach-detach controller's attach of the block volume, from VolumeAttachment created to attached
  const attach = { volume_plugin: "kubernetes.io/csi:block.csi.stowage.dev", operation_name: "volume_attach" };
  assert.ok(moved("storage_operation_duration_seconds_count", { ...attach, status: "success" }) >= 1);
  const mount = { volume_plugin: hostpath, operation_name: "volume_mount", status: "success", migrated: "false" };
  assert.ok(moved("storage_operation_duration_seconds_count", mount) >= 1);
  for (const state of ["desired_state_of_world", "actual_state_of_world"]) {
    assert.ok(sample(after, "volume_manager_total_volumes", { plugin_name: hostpath, state }) >= 1, state);
  }
  const claim = { namespace: "default", persistentvolumeclaim: "data" };
  assert.equal(sample(before, "kubelet_volume_stats_capacity_bytes", claim), 0);
  for (const name of ["capacity_bytes", "available_bytes", "used_bytes", "inodes", "inodes_free", "inodes_used"]) {
    assert.match(
      after,
      new RegExp(`^kubelet_volume_stats_${name}\\{namespace="default",persistentvolumeclaim="data"\\} \\d+$`, "m"),
    );
  }
  assert.ok(sample(after, "kubelet_volume_stats_capacity_bytes", claim) > 0);
  assert.ok(sample(after, "kubelet_volume_stats_inodes", claim) > 0);

  // Anyone else: upstream's Forbidden for a non-resource URL
  const jane = await s.kubectlResult(["get", "--raw", "/metrics", "--as=jane"]);
  assert.notEqual(jane.code, 0);
  assert.match(jane.stderr, /forbidden: User "jane" cannot get path "\/metrics"/);
  assert.equal((await s.kubectlResult(["auth", "can-i", "get", "/metrics", "--as=jane"])).stdout.trim(), "no");
});
