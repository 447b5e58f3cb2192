import assert from "node:assert/strict";
import { test } from "node:test";
import { LeaderElector } from "./leaderelection.js";
import { eventually, startTestApiServer, transportKinds } from "./testing/apiserver.js";
import { namespace } from "./testing/objects.js";

const quiet = (): void => {};

for (const kind of transportKinds) {
  test(`[${kind}] of two candidates exactly one leads, and the other takes over when it stops`, async (t) => {
    const server = await startTestApiServer(t);
    const client = server.client(kind);
    await client.namespaces.create(namespace("leader-test"));
    const leading = new Set<string>();
    const stopped: string[] = [];
    const candidate = (identity: string) => {
      const c = server.client(kind); // each candidate has its own connection, as separate processes would
      return new LeaderElector({
        leases: c.leases,
        namespace: "leader-test",
        name: "stowage-controller-manager",
        identity,
        leaseDurationMs: 3000,
        renewDeadlineMs: 2000,
        retryPeriodMs: 100,
        log: quiet,
        onStartedLeading: () => void leading.add(identity),
        onStoppedLeading: () => {
          leading.delete(identity);
          stopped.push(identity);
        },
      });
    };
    const a = candidate("a");
    const b = candidate("b");
    const stopA = new AbortController();
    const stopB = new AbortController();
    t.after(() => {
      stopA.abort();
      stopB.abort();
    });
    const runA = a.run(stopA.signal);
    const runB = b.run(stopB.signal);
    const first = await eventually(() => [...leading][0], "a leader");
    // Several renew periods later still exactly one leads.
    const lease1 = await client.leases.get("leader-test", "stowage-controller-manager");
    await eventually(async () => {
      const lease = await client.leases.get("leader-test", "stowage-controller-manager");
      return lease.spec?.renewTime !== lease1.spec?.renewTime && lease;
    }, "a renewal");
    assert.deepEqual([...leading], [first]);
    assert.deepEqual([a.isLeader(), b.isLeader()].filter(Boolean).length, 1);
    const lease = await client.leases.get("leader-test", "stowage-controller-manager");
    assert.equal(lease.spec?.holderIdentity, first);
    assert.equal(lease.spec?.leaseDurationSeconds, 3);
    assert.equal(lease.spec?.leaseTransitions, 0);
    assert.match(lease.spec?.renewTime ?? "", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);

    const [leader, follower, stopLeader, runLeader] = first === "a" ? [a, b, stopA, runA] : [b, a, stopB, runB];
    stopLeader.abort();
    await runLeader;
    assert.deepEqual(stopped, [first]);
    assert.equal(leader.isLeader(), false);
    const second = first === "a" ? "b" : "a";
    await eventually(() => follower.isLeader(), "the other candidate to take over");
    const after = await client.leases.get("leader-test", "stowage-controller-manager");
    assert.equal(after.spec?.holderIdentity, second);
    assert.equal(after.spec?.leaseTransitions, 1);
  });
}
