import assert from "node:assert/strict";
import { test } from "node:test";
import { LeaderElector } from "./leaderelection.js";
import { eventually, startTestApiServer, transportKinds } from "../e2e/apiserver.js";
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

test("a leader that can no longer renew (its lease was taken) stops leading after the renew deadline", async (t) => {
  const server = await startTestApiServer(t);
  const client = server.client("in-process");
  await client.namespaces.create(namespace("leader-test"));
  let stoppedLeading = false;
  let leadershipSignal: AbortSignal | undefined;
  const elector = new LeaderElector({
    leases: client.leases,
    namespace: "leader-test",
    name: "lock",
    identity: "me",
    leaseDurationMs: 2000,
    renewDeadlineMs: 500,
    retryPeriodMs: 100,
    releaseOnCancel: true,
    log: quiet,
    onStartedLeading: (signal) => void (leadershipSignal = signal),
    onStoppedLeading: () => void (stoppedLeading = true),
  });
  const stop = new AbortController();
  t.after(() => stop.abort());
  const running = elector.run(stop.signal);
  await eventually(() => elector.isLeader(), "leading");
  // Another process overwrites the lease (as after a long pause on our side).
  const lease = await client.leases.get("leader-test", "lock");
  await client.leases.update({ ...lease, spec: { ...lease.spec, holderIdentity: "intruder" } });
  await running; // run() returns once leadership is lost
  assert.equal(stoppedLeading, true);
  assert.equal(leadershipSignal?.aborted, true, "the leader's work is told to stop");
  assert.equal(elector.isLeader(), false);
  const after = await client.leases.get("leader-test", "lock");
  assert.equal(after.spec?.holderIdentity, "intruder", "a leader that lost the lease does not release it");
});
