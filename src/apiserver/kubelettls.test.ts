// The apiserver reaches kubelets only over TLS it can verify, and says so as upstream's apiserver does when it
// cannot: a kubelet whose certificate it does not trust is never sent the request (nor its client certificate),
// and a kubelet that does not accept the apiserver's certificate is named in kubectl's error.
import assert from "node:assert/strict";
import { test } from "node:test";
import { mismatchedKubeletTls, type KubeletTlsMismatch } from "../e2e/kubelettls.js";
import { nodeName, startStreamingWorld } from "../e2e/streaming.js";

const cases: Array<{ mismatch: KubeletTlsMismatch; logs: RegExp; exec: RegExp }> = [
  {
    mismatch: "serving certificate from another CA",
    logs: /^Error from server: Get "https:\/\/127\.0\.0\.1:\d+\/containerLogs\/default\/box\/app": tls: failed to verify certificate: x509: certificate signed by unknown authority\n$/,
    exec: /^Error from server: error dialing backend: tls: failed to verify certificate: x509: certificate signed by unknown authority\n$/,
  },
  {
    mismatch: "serving certificate for other names",
    logs: /: tls: failed to verify certificate: x509: cannot validate certificate for 127\.0\.0\.1 because it doesn't contain any IP SANs\n$/,
    exec: /error dialing backend: tls: failed to verify certificate: x509: cannot validate certificate for 127\.0\.0\.1 because it doesn't contain any IP SANs\n$/,
  },
  {
    // The kubelet trusts another CA for its clients: the apiserver's certificate is refused with a 401.
    mismatch: "client CA of another CA",
    logs: /^error: You must be logged in to the server \(the server has asked for the client to provide credentials \( pods\/log box\)\)\n$/,
    exec: /^error: unable to upgrade connection: Unauthorized\n$/,
  },
];

for (const c of cases) {
  test(`a kubelet with a ${c.mismatch}: kubectl logs and exec fail, saying why`, async (t) => {
    const world = await startStreamingWorld(t, {
      kubeletTls: (dataDir) => mismatchedKubeletTls(dataDir, nodeName, c.mismatch),
    });
    const pod = await world.createPod("box", ["app"], { running: true });
    await world.writeLog(pod, "app", "secret");
    const logs = await world.stowage.kubectlResult(["logs", "box"]);
    assert.notEqual(logs.code, 0);
    assert.equal(logs.stdout, "");
    assert.match(logs.stderr, c.logs);
    const exec = await world.stowage.kubectlResult(["exec", "box", "--", "echo", "ran"]);
    assert.notEqual(exec.code, 0);
    assert.equal(exec.stdout, "");
    assert.match(exec.stderr, c.exec);
  });
}
