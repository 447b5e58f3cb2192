// Pod Security admission through the real kubectl: a namespace labelled enforce=baseline refuses a hostPath pod with
// upstream's message and stores nothing; the same pod is let into an unlabelled namespace.
import assert from "node:assert/strict";
import { test } from "node:test";
import { startStowage } from "../../../e2e/stowage.js";

const hostPathPod = (namespace: string) => `
apiVersion: v1
kind: Pod
metadata: {name: rooted, namespace: ${namespace}}
spec:
  containers: [{name: app, image: busybox}]
  volumes: [{name: root, hostPath: {path: /}}]
`;

test("a hostPath pod in a baseline-enforced namespace is refused with upstream's message", async (t) => {
  const stowage = await startStowage(t);
  await stowage.kubectl("create", "namespace", "locked");
  await stowage.kubectl("label", "namespace", "locked", "pod-security.kubernetes.io/enforce=baseline");
  const refused = await stowage.kubectlResult(["apply", "-f", "-"], { input: hostPathPod("locked") });
  assert.notEqual(refused.code, 0);
  assert.match(
    refused.stderr,
    /pods "rooted" is forbidden: violates PodSecurity "baseline:latest": hostPath volumes \(volume "root"\)/,
  );
  const left = await stowage.kubectlResult(["get", "pod", "rooted", "-n", "locked"]);
  assert.match(left.stderr, /not found/);

  const allowed = await stowage.kubectlResult(["apply", "-f", "-"], { input: hostPathPod("default") });
  assert.equal(allowed.code, 0, allowed.stderr);
});

test("kubectl apply of a hostPath pod into a warn=baseline namespace succeeds and prints upstream's warning", async (t) => {
  const stowage = await startStowage(t);
  await stowage.kubectl("create", "namespace", "watched");
  await stowage.kubectl("label", "namespace", "watched", "pod-security.kubernetes.io/warn=baseline");
  const applied = await stowage.kubectlResult(["apply", "-f", "-"], { input: hostPathPod("watched") });
  assert.equal(applied.code, 0, applied.stderr);
  assert.match(applied.stdout, /^pod\/rooted created$/m);
  assert.match(
    applied.stderr,
    /^Warning: would violate PodSecurity "baseline:latest": hostPath volumes \(volume "root"\)$/m,
  );

  // enforcing baseline now labels the namespace, and names the pod it would have refused
  const labelled = await stowage.kubectlResult([
    "label",
    "namespace",
    "watched",
    "pod-security.kubernetes.io/enforce=baseline",
  ]);
  assert.equal(labelled.code, 0, labelled.stderr);
  assert.match(
    labelled.stderr,
    /^Warning: existing pods in namespace "watched" violate the new PodSecurity enforce level "baseline:latest"$/m,
  );
  assert.match(labelled.stderr, /^Warning: rooted: hostPath volumes$/m);
});
