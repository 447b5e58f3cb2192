// The controllers through the real apiserver and the real kubectl: what a user types and sees.
import assert from "node:assert/strict";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { controllerManagerComponent } from "../e2e/parts.js";
import { eventually, startStowage } from "../e2e/stowage.js";

const fixture = (name: string) => fileURLToPath(new URL(`./testdata/${name}`, import.meta.url));
const start = (t: Parameters<typeof startStowage>[0]) => startStowage(t, { components: [controllerManagerComponent] });

test("the seeds' static PV and PVC show Bound in kubectl get, and Released after the claim is deleted", async (t) => {
  const stowage = await start(t);
  await stowage.kubectl("apply", "-f", fixture("static-pv.yaml"), "-f", fixture("static-pvc.yaml"));
  await stowage.kubectl("wait", "pvc/my-pvc", "--for=jsonpath={.status.phase}=Bound", "--timeout=20s");
  await stowage.kubectl("wait", "pv/my-pv", "--for=jsonpath={.status.phase}=Bound", "--timeout=20s");

  const pvs = await stowage.kubectl("get", "pv");
  assert.match(pvs, /^NAME\s+CAPACITY\s+ACCESS MODES\s+RECLAIM POLICY\s+STATUS\s+CLAIM\s+STORAGECLASS\s+/m);
  assert.match(pvs, /^my-pv\s+5Gi\s+RWO\s+Retain\s+Bound\s+default\/my-pvc\s+<unset>\s+\S+$/m);
  const pvcs = await stowage.kubectl("get", "pvc");
  assert.match(pvcs, /^NAME\s+STATUS\s+VOLUME\s+CAPACITY\s+ACCESS MODES\s+STORAGECLASS\s+/m);
  assert.match(pvcs, /^my-pvc\s+Bound\s+my-pv\s+5Gi\s+RWO\s+<unset>\s+\S+$/m);

  const claim = JSON.parse(await stowage.kubectl("get", "pvc", "my-pvc", "-o", "json")) as {
    metadata: { annotations: Record<string, string> };
  };
  assert.equal(claim.metadata.annotations["pv.kubernetes.io/bind-completed"], "yes");
  assert.equal(claim.metadata.annotations["pv.kubernetes.io/bound-by-controller"], "yes");

  await stowage.kubectl("delete", "pvc", "my-pvc", "--timeout=20s");
  await stowage.kubectl("wait", "pv/my-pv", "--for=jsonpath={.status.phase}=Released", "--timeout=20s");
  assert.match(await stowage.kubectl("get", "pv"), /^my-pv\s+5Gi\s+RWO\s+Retain\s+Released\s+default\/my-pvc\s+/m);
});

test("kubectl describe pvc shows why a claim waited and that it bound once a volume appeared", async (t) => {
  const stowage = await start(t);
  await stowage.kubectl("apply", "-f", fixture("static-pvc.yaml"));
  const waiting = await eventually(async () => {
    const out = await stowage.kubectl("describe", "pvc", "my-pvc");
    return /FailedBinding/.test(out) ? out : undefined;
  }, 20_000);
  assert.match(waiting, /^Status:\s+Pending$/m);
  assert.match(
    waiting,
    /Normal\s+FailedBinding\s+.+?\s+persistentvolume-controller\s+no persistent volumes available for this claim and no storage class is set/,
  );

  await stowage.kubectl("apply", "-f", fixture("static-pv.yaml"));
  await stowage.kubectl("wait", "pvc/my-pvc", "--for=jsonpath={.status.phase}=Bound", "--timeout=20s");
  const bound = await stowage.kubectl("describe", "pvc", "my-pvc");
  assert.match(bound, /^Status:\s+Bound$/m);
  assert.match(bound, /^Volume:\s+my-pv$/m);
  assert.match(bound, /^Capacity:\s+5Gi$/m);
  assert.match(bound, /^Finalizers:\s+\[kubernetes\.io\/pvc-protection\]$/m);
});

test("a claim used by a scheduled pod stays Terminating until the pod is gone; its PV is then Released", async (t) => {
  const stowage = await start(t);
  await stowage.kubectl("apply", "-f", fixture("static-pv.yaml"), "-f", fixture("static-pvc.yaml"));
  await stowage.kubectl("wait", "pvc/my-pvc", "--for=jsonpath={.status.phase}=Bound", "--timeout=20s");
  await stowage.kubectl("apply", "-f", fixture("pod-on-node.yaml"));

  await stowage.kubectl("delete", "pvc", "my-pvc", "--wait=false");
  await eventually(async () => {
    const out = await stowage.kubectl("get", "pvc", "my-pvc");
    return /^my-pvc\s+Terminating\s+my-pv\s/m.test(out) ? out : undefined;
  });
  // The finalizer holds. Proof that the controller looked and let it be: a claim nobody uses, deleted after it, is
  // gone (its finalizer removed by the same controller, which took my-pvc's deletion first); then look again.
  const barrier = await stowage.kubectlResult(["apply", "-f", "-"], {
    input:
      "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: unused, namespace: default}\n" +
      "spec: {accessModes: [ReadWriteOnce], storageClassName: '', resources: {requests: {storage: 1Gi}}}\n",
  });
  assert.equal(barrier.code, 0, barrier.stderr);
  await stowage.kubectl("delete", "pvc", "unused", "--timeout=20s");
  assert.match(await stowage.kubectl("get", "pvc", "my-pvc"), /^my-pvc\s+Terminating\s/m);
  // A deleted PV stays too while it is Bound (pv-protection).
  await stowage.kubectl("delete", "pv", "my-pv", "--wait=false");
  assert.match(await stowage.kubectl("get", "pv", "my-pv"), /^my-pv\s+5Gi\s+RWO\s+Retain\s+Terminating\s/m);

  // (kubectl warns on stderr about immediate deletion, as it does against Kubernetes)
  const deleted = await stowage.kubectlResult(["delete", "pod", "app", "--grace-period=0", "--force"]);
  assert.equal(deleted.code, 0, deleted.stderr);
  await stowage.kubectl("wait", "pvc/my-pvc", "--for=delete", "--timeout=20s");
  // With the claim gone the PV is Released, no longer protected, and goes too.
  await stowage.kubectl("wait", "pv/my-pv", "--for=delete", "--timeout=20s");
});

const hasEvent = (stowage: Awaited<ReturnType<typeof start>>, name: string, pattern: RegExp) =>
  eventually(async () => {
    const out = await stowage.kubectl("describe", "pvc", name);
    return pattern.test(out) ? out : undefined;
  }, 20_000);

test("a WaitForFirstConsumer claim waits for its consumer, then selected-node hands it to the provisioner", async (t) => {
  const stowage = await start(t);
  await stowage.kubectl("apply", "-f", fixture("wffc.yaml"));
  const waiting = await hasEvent(stowage, "data", /WaitForFirstConsumer/);
  assert.match(
    waiting,
    /Normal\s+WaitForFirstConsumer\s+.+?\s+persistentvolume-controller\s+waiting for first consumer to be created before binding/,
  );
  assert.doesNotMatch(waiting, /ExternalProvisioning/);

  // What the scheduler does once a pod using the claim is placed on a node.
  await stowage.kubectl("annotate", "pvc", "data", "volume.kubernetes.io/selected-node=node-1");
  const handedOff = await hasEvent(stowage, "data", /ExternalProvisioning/);
  assert.match(
    handedOff,
    /Normal\s+ExternalProvisioning\s+.+?\s+persistentvolume-controller\s+Waiting for a volume to be created either by the external provisioner 'hostpath\.csi\.stowage\.io' or manually by the system administrator\. If volume creation is delayed, please verify that the provisioner is running and correctly registered\./,
  );
  assert.equal(
    await stowage.kubectl(
      "get",
      "pvc",
      "data",
      "-o",
      "jsonpath={.metadata.annotations.volume\\.kubernetes\\.io/storage-provisioner}",
    ),
    "hostpath.csi.stowage.io",
  );
  assert.match(await stowage.kubectl("get", "pvc", "data"), /^data\s+Pending\s/m);
});

test("a claim created before any default class gets the default class when one appears", async (t) => {
  const stowage = await start(t);
  await stowage.kubectl("apply", "-f", fixture("static-pvc.yaml"));
  await hasEvent(stowage, "my-pvc", /FailedBinding/);
  await stowage.kubectl("apply", "-f", fixture("default-class.yaml"));
  await eventually(async () => {
    const out = await stowage.kubectl("get", "pvc", "my-pvc", "-o", "jsonpath={.spec.storageClassName}");
    return out === "standard" ? out : undefined;
  }, 20_000);
  await hasEvent(stowage, "my-pvc", /ExternalProvisioning/);
});
