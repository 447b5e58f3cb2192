// Crash safety: attachers are aborted at random points while many volumes are being attached, detached and moved
// between nodes. A final attacher must converge to exactly what the pods need, with the driver agreeing: every
// VolumeAttachment attached to the node its volume is published to, and nothing published without one.
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { test } from "node:test";
import { eventually } from "../../../e2e/stowage.js";
import { startAttachDetachController } from "../../../e2e/parts.js";
import { startWorld } from "../../../e2e/attacher.js";
import { seededRandom } from "../../../e2e/random.js";

const volumes = 200;
const rounds = 12;

test("attachers killed at random points during attach and detach leave every attachment consistent with the driver", async (t) => {
  const random = seededRandom(t);
  const world = await startWorld(t);
  const { client } = world;
  const controller = new AbortController();
  const adc = await startAttachDetachController({ client, log: () => undefined }, controller.signal);
  t.after(async () => {
    controller.abort();
    await adc.done;
  });

  const handles = new Map<string, string>(); // claim/PV name → volume handle
  for (let i = 0; i < volumes; i++) {
    const name = `vol-${i}`;
    const volume = await world.blockVolume(name);
    handles.set(name, volume.spec.csi!.volumeHandle);
    await world.pod(`pod-${i}`, i % 2 === 0 ? "node-1" : "node-2", name);
  }
  // Which node each volume should end up on (undefined: no pod, so attached nowhere).
  const want = new Map<string, string | undefined>();
  for (let i = 0; i < volumes; i++) want.set(`vol-${i}`, i % 2 === 0 ? "node-1" : "node-2");

  const deletePod = (name: string) => client.pods.delete("default", name, { gracePeriodSeconds: 0 });
  for (let round = 0; round < rounds; round++) {
    const attacher = await world.startAttacher({ workers: 4, reconcilePeriodMs: 0 });
    // Changes while this attacher works: every third volume loses its pod (detach), every fifth moves node.
    if (round === 3 || round === 7) {
      for (let i = round === 3 ? 0 : 1; i < volumes; i += 3) {
        await deletePod(`pod-${i}`).catch(() => undefined);
        want.set(`vol-${i}`, undefined);
      }
    }
    if (round === 5 || round === 9) {
      for (let i = round === 5 ? 2 : 4; i < volumes; i += 5) {
        await deletePod(`pod-${i}`).catch(() => undefined);
        await eventually(async () =>
          (await client.pods.get("default", `pod-${i}`).catch(() => undefined)) ? undefined : true,
        );
        const node = i % 2 === 0 ? "node-2" : "node-1";
        await world.pod(`pod-${i}`, round === 5 ? node : i % 2 === 0 ? "node-1" : "node-2", `vol-${i}`);
        want.set(`vol-${i}`, round === 5 ? node : i % 2 === 0 ? "node-1" : "node-2");
      }
    }
    // Killed somewhere in the middle of its work: in-flight CSI calls are cancelled, status writes may not happen.
    await sleep(Math.floor(random() * 80));
    await attacher.stop();
  }

  // A last attacher, left running (with the ListVolumes reconcile on), must converge.
  await world.startAttacher({ reconcilePeriodMs: 500 });
  await eventually(async () => {
    const attachments = (await client.volumeAttachments.list()).items;
    const published = await world.published();
    for (const [name, node] of want) {
      const handle = handles.get(name)!;
      const mine = attachments.filter((a) => a.spec.source.persistentVolumeName === name);
      const nodes = published.get(handle) ?? [];
      if (node === undefined) {
        if (mine.length > 0 || nodes.length > 0) return undefined;
      } else if (mine.length !== 1 || mine[0].spec.nodeName !== node || !mine[0].status?.attached) {
        return undefined;
      } else if (nodes.length !== 1 || nodes[0] !== node) return undefined;
    }
    return true;
  }, 60_000);

  // Nothing published that no VolumeAttachment accounts for, and every status agrees with the driver.
  const attachments = (await client.volumeAttachments.list()).items;
  const published = await world.published();
  const accounted = new Set(
    attachments.map((a) => `${handles.get(a.spec.source.persistentVolumeName!)}@${a.spec.nodeName}`),
  );
  for (const [handle, nodes] of published) {
    for (const node of nodes) assert.ok(accounted.has(`${handle}@${node}`), `volume ${handle} leaked on ${node}`);
  }
  for (const attachment of attachments) {
    assert.equal(attachment.status?.attached, true);
    assert.equal(attachment.status?.attachError, undefined);
    assert.deepEqual(attachment.metadata.finalizers, ["external-attacher/block-csi-stowage-dev"]);
  }
  assert.ok(attachments.length > 0 && attachments.length < volumes, `${attachments.length} attachments`);
});
