// The etcd store on a three-member cluster whose members die and come back: a watch neither loses nor repeats an
// event, and writes go on through the members that are left.
import assert from "node:assert/strict";
import { test } from "node:test";
import { EtcdStore } from "./etcd.js";
import { bytes } from "./testing/conformance.js";
import { startEtcd } from "./testing/etcdserver.js";

test(
  "a watch loses and repeats nothing while the members it may be connected to are killed and restarted",
  { timeout: 120_000 },
  async (t) => {
    const etcd = await startEtcd(3);
    t.after(() => etcd.stop());
    const [first, second, third] = etcd.members;
    // the watch may only use the members that will die, one at a time; the writer only the one that stays
    const watcher = new EtcdStore({ endpoints: [first.clientUrl, second.clientUrl], prefix: "/ha/" });
    const writer = new EtcdStore({ endpoints: [third.clientUrl], prefix: "/ha/" });
    t.after(() => Promise.all([watcher.close(), writer.close()]));
    const start = await writer.currentRevision();
    const perRound = 30;
    const seen: number[] = [];
    const controller = new AbortController();
    t.after(() => controller.abort());
    const watching = (async () => {
      for await (const event of watcher.watch("/pv/", start, controller.signal)) {
        if (event.type === "progress") continue;
        seen.push(event.kv.modRevision);
        if (seen.length === perRound * 3) return;
      }
    })();
    const written: number[] = [];
    const write = async () => {
      for (let i = 0; i < perRound; i++) {
        written.push((await writer.create(`/pv/${written.length}`, bytes("x"))).modRevision);
      }
    };
    await write();
    first.kill();
    await write();
    await first.restart();
    second.kill();
    await write();
    await second.restart();
    await watching;
    assert.deepEqual(seen, written);
  },
);
