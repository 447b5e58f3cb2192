// The real kubectl's patches against a real stowage: what `kubectl apply` computes on a second apply and what
// `kubectl patch` sends, applied by this package, must leave the object the user declared.
import assert from "node:assert/strict";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { startStowage } from "../../e2e/stowage.js";

const fixture = (name: string) => fileURLToPath(new URL(`./testdata/${name}`, import.meta.url));

test("a second kubectl apply removes, adds, reorders and switches what the manifest changed", async (t) => {
  const stowage = await startStowage(t, { store: "memory" });
  await stowage.kubectl("apply", "-f", fixture("statefulset-v1.yaml"));
  const applied = await stowage.kubectl("apply", "-f", fixture("statefulset-v2.yaml"));
  assert.match(applied, /statefulset.apps\/db configured/);
  const sts = JSON.parse(await stowage.kubectl("get", "statefulset", "db", "-o", "json"));
  const pod = sts.spec.template.spec;
  assert.deepEqual(
    pod.containers.map((c: { name: string; image: string }) => `${c.name}=${c.image}`),
    ["backup=backup:2", "db=mysql:8.4"],
  );
  const db = pod.containers[1];
  assert.deepEqual(db.env, [{ name: "MYSQL_DATABASE", value: "app" }]);
  // $retainKeys dropped emptyDir; hostPath's type is the upstream default ""
  assert.equal(pod.volumes.length, 1);
  assert.equal(pod.volumes[0].emptyDir, undefined);
  assert.equal(pod.volumes[0].hostPath.path, "/var/scratch");
  assert.deepEqual(sts.metadata.finalizers, ["example.com/keep"]);
  assert.deepEqual(sts.metadata.labels, { app: "db" });
});

test("kubectl patch merges containers by name, and reports a failed JSON Patch test or a strategic patch on a snapshot", async (t) => {
  const stowage = await startStowage(t, { store: "memory" });
  await stowage.kubectl("apply", "-f", fixture("statefulset-v1.yaml"));

  // the default --type strategic: the db container changes, the metrics sidecar stays
  await stowage.kubectl(
    "patch",
    "statefulset",
    "db",
    "-p",
    '{"spec":{"template":{"spec":{"containers":[{"name":"db","image":"mysql:8.4"}]}}}}',
  );
  const images = await stowage.kubectl(
    "get",
    "statefulset",
    "db",
    "-o",
    "jsonpath={range .spec.template.spec.containers[*]}{.name}={.image} {end}",
  );
  assert.equal(images.trim(), "db=mysql:8.4 metrics=exporter:1");

  // a JSON Patch whose test fails changes nothing and exits non-zero
  const failed = await stowage.kubectlResult([
    "patch",
    "statefulset",
    "db",
    "--type",
    "json",
    "-p",
    '[{"op":"test","path":"/spec/replicas","value":5},{"op":"replace","path":"/spec/replicas","value":3}]',
  ]);
  assert.notEqual(failed.code, 0);
  assert.match(failed.stderr, /invalid/i);
  assert.equal(await stowage.kubectl("get", "statefulset", "db", "-o", "jsonpath={.spec.replicas}"), "1");

  // VolumeSnapshots are custom resources upstream: no strategic merge patch, merge patch works
  await stowage.kubectl("apply", "-f", fixture("snapshot.yaml"));
  const strategic = await stowage.kubectlResult([
    "patch",
    "volumesnapshot",
    "snap",
    "-p",
    '{"spec":{"volumeSnapshotClassName":"other"}}',
  ]);
  assert.notEqual(strategic.code, 0);
  assert.match(
    strategic.stderr,
    /application\/strategic-merge-patch\+json is not supported by snapshot.storage.k8s.io\/v1, Kind=VolumeSnapshot: the body of the request was in an unknown format - accepted media types include: application\/json-patch\+json, application\/merge-patch\+json/,
  );
  await stowage.kubectl(
    "patch",
    "volumesnapshot",
    "snap",
    "--type",
    "merge",
    "-p",
    '{"spec":{"volumeSnapshotClassName":"other"}}',
  );
  assert.equal(
    await stowage.kubectl("get", "volumesnapshot", "snap", "-o", "jsonpath={.spec.volumeSnapshotClassName}"),
    "other",
  );
});

test("a second kubectl apply of a VolumeSnapshot (a custom resource) goes through as a merge patch", async (t) => {
  const stowage = await startStowage(t, { store: "memory" });
  await stowage.kubectl("apply", "-f", fixture("snapshot.yaml"));
  assert.match(
    await stowage.kubectl("apply", "-f", fixture("snapshot-v2.yaml")),
    /volumesnapshot.snapshot.storage.k8s.io\/snap configured/,
  );
  const snapshot = JSON.parse(await stowage.kubectl("get", "volumesnapshot", "snap", "-o", "json"));
  assert.equal(snapshot.spec.volumeSnapshotClassName, "csi-hostpath-retain");
  assert.deepEqual(snapshot.metadata.labels, { backup: "nightly" });
});
