// The scheduler through the real apiserver, the PV controller and the real kubectl: nodes are created through the
// API (no node agent), as the acceptance tests of issue 6 allow.
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { controllerManagerComponent, schedulerComponent } from "../e2e/parts.js";
import { eventually, startStowage, type Stowage } from "../e2e/stowage.js";
import type { TestContext } from "node:test";

const testdata = join(dirname(fileURLToPath(import.meta.url)), "testdata");
const file = (name: string): string => join(testdata, name);

async function cluster(t: TestContext): Promise<Stowage> {
  const stowage = await startStowage(t, {
    store: "memory",
    components: [controllerManagerComponent, schedulerComponent],
  });
  await stowage.kubectl("apply", "-f", file("nodes.yaml"));
  return stowage;
}

const jsonpath = (stowage: Stowage, object: string, path: string): Promise<string> =>
  stowage.kubectl("get", object, "-o", `jsonpath=${path}`);

const notHelpful3 = "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.";

test("a pod using the local PV lands on the PV's node and its claim binds to the PV", async (t) => {
  const stowage = await cluster(t);
  await stowage.kubectl("apply", "-f", file("local-pv.yaml"));
  await stowage.kubectl("apply", "-f", file("local-pod.yaml"));
  await stowage.kubectl("wait", "pod/local-user", "--for=jsonpath={.spec.nodeName}=node-1", "--timeout=20s");
  await stowage.kubectl("wait", "pvc/local-claim", "--for=jsonpath={.status.phase}=Bound", "--timeout=20s");
  assert.equal(await jsonpath(stowage, "pvc/local-claim", "{.spec.volumeName}"), "local-pv");
  const describe = await stowage.kubectl("describe", "pod", "local-user");
  assert.match(
    describe,
    /Normal\s+Scheduled\s+.*default-scheduler\s+Successfully assigned default\/local-user to node-1/,
  );
});

test("with the local PV's node cordoned the pod gets upstream's FailedScheduling, and lands once uncordoned", async (t) => {
  const stowage = await cluster(t);
  await stowage.kubectl("cordon", "node-1");
  await stowage.kubectl("apply", "-f", file("local-pv.yaml"));
  await stowage.kubectl("apply", "-f", file("local-pod.yaml"));
  const message =
    "0/3 nodes are available: 1 node(s) were unschedulable, 2 node(s) didn't find available persistent volumes " +
    `to bind. ${notHelpful3}`;
  const describe = await eventually(async () => {
    const out = await stowage.kubectl("describe", "pod", "local-user");
    return out.includes("FailedScheduling") ? out : undefined;
  }, 20_000);
  assert.match(describe, /Warning\s+FailedScheduling\s+.*default-scheduler\s+0\/3 nodes are available/);
  // describe wraps nothing, but columns may pad: compare the message itself through the events API.
  const events = await stowage.kubectl(
    "get",
    "events",
    "--field-selector",
    "involvedObject.name=local-user,reason=FailedScheduling",
    "-o",
    "jsonpath={.items[*].message}",
  );
  assert.equal(events, message);
  assert.equal(await jsonpath(stowage, "pod/local-user", "{.spec.nodeName}"), "");
  assert.equal(
    await jsonpath(stowage, "pod/local-user", '{.status.conditions[?(@.type=="PodScheduled")].reason}'),
    "Unschedulable",
  );
  assert.equal(
    await jsonpath(stowage, "pod/local-user", '{.status.conditions[?(@.type=="PodScheduled")].message}'),
    message,
  );
  assert.equal(await jsonpath(stowage, "pvc/local-claim", "{.status.phase}"), "Pending");
  await stowage.kubectl("uncordon", "node-1");
  await stowage.kubectl("wait", "pod/local-user", "--for=jsonpath={.spec.nodeName}=node-1", "--timeout=20s");
  await stowage.kubectl("wait", "pod/local-user", "--for=condition=PodScheduled", "--timeout=20s");
});

test("a pod whose claim does not exist is unschedulable with 'persistentvolumeclaim \"missing\" not found'", async (t) => {
  const stowage = await cluster(t);
  await stowage.kubectl("apply", "-f", file("missing-claim-pod.yaml"));
  const message = `0/3 nodes are available: persistentvolumeclaim "missing" not found. ${notHelpful3}`;
  await stowage.kubectl(
    "wait",
    "pod/orphan",
    `--for=jsonpath={.status.conditions[?(@.type=="PodScheduled")].message}=${message}`,
    "--timeout=20s",
  );
  const describe = await stowage.kubectl("describe", "pod", "orphan");
  assert.match(describe, /Warning\s+FailedScheduling\s+.*persistentvolumeclaim "missing" not found/);
});

test("a WaitForFirstConsumer claim of a provisioner class gets the chosen node as selected-node", async (t) => {
  const stowage = await cluster(t);
  await stowage.kubectl("apply", "-f", file("provisioned.yaml"));
  await stowage.kubectl(
    "wait",
    "pvc/dynamic-claim",
    "--for=jsonpath={.metadata.annotations.volume\\.kubernetes\\.io/selected-node}=node-2",
    "--timeout=20s",
  );
  // No provisioner runs here: the pod waits for its claim, unbound, as upstream's PreBind does.
  assert.equal(await jsonpath(stowage, "pod/dynamic-user", "{.spec.nodeName}"), "");
  assert.equal(await jsonpath(stowage, "pvc/dynamic-claim", "{.status.phase}"), "Pending");
});

test("a second pod using a ReadWriteOncePod claim in use is unschedulable, and lands once the first pod goes", async (t) => {
  const stowage = await cluster(t);
  await stowage.kubectl("apply", "-f", file("local-pv.yaml"));
  await stowage.kubectl("apply", "-f", file("rwop.yaml"));
  await stowage.kubectl("wait", "pod/first", "--for=jsonpath={.spec.nodeName}=node-1", "--timeout=20s");
  await stowage.kubectl("apply", "-f", file("rwop-second.yaml"));
  const message =
    "0/3 nodes are available: 3 node has pod using PersistentVolumeClaim with the same name and ReadWriteOncePod " +
    "access mode. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.";
  await stowage.kubectl(
    "wait",
    "pod/second",
    `--for=jsonpath={.status.conditions[?(@.type=="PodScheduled")].message}=${message}`,
    "--timeout=20s",
  );
  const deleted = await stowage.kubectlResult(["delete", "pod", "first", "--grace-period=0", "--force"]);
  assert.equal(deleted.code, 0, deleted.stderr);
  await stowage.kubectl("wait", "pod/second", "--for=jsonpath={.spec.nodeName}=node-1", "--timeout=30s");
});

test("when the provisioner drops selected-node, the pod's binding fails as upstream says and the claim is given a node again", async (t) => {
  const stowage = await cluster(t);
  await stowage.kubectl("apply", "-f", file("provisioned.yaml"));
  const selected = "--for=jsonpath={.metadata.annotations.volume\\.kubernetes\\.io/selected-node}=node-2";
  await stowage.kubectl("wait", "pvc/dynamic-claim", selected, "--timeout=20s");
  // What external-provisioner does when the driver cannot provision on the node (ResourceExhausted).
  await stowage.kubectl("annotate", "pvc", "dynamic-claim", "volume.kubernetes.io/selected-node-");
  const describe = await eventually(async () => {
    const out = await stowage.kubectl("describe", "pod", "dynamic-user");
    return out.includes("FailedScheduling") ? out : undefined;
  }, 20_000);
  assert.match(
    describe,
    /Warning\s+FailedScheduling\s+.*running PreBind plugin "VolumeBinding": binding volumes: selectedNode annotation reset for PVC "dynamic-claim"/,
  );
  await stowage.kubectl("wait", "pvc/dynamic-claim", selected, "--timeout=20s");
});
