import assert from "node:assert/strict";
import test from "node:test";
import type { VolumeAttachment } from "../../src/api/storage/types.js";
import { checkAttached, checkNothingPublished } from "./attachments.js";

const attachment = (pv: string, node: string, attached = true): VolumeAttachment => ({
  apiVersion: "storage.k8s.io/v1",
  kind: "VolumeAttachment",
  metadata: { name: `csi-${pv}-${node}` },
  spec: { attacher: "block.csi.stowage.dev", nodeName: node, source: { persistentVolumeName: pv } },
  status: { attached },
});
const wanted = {
  nodeOf: new Map([
    ["vol-0", "node-1"],
    ["vol-1", "node-2"],
  ]),
  handleOf: new Map([
    ["vol-0", "h0"],
    ["vol-1", "h1"],
  ]),
};
const published = new Map([
  ["h0", ["node-1"]],
  ["h1", ["node-2"]],
]);

test("each volume attached once on its pod's node and published there passes", () => {
  checkAttached(wanted, [attachment("vol-0", "node-1"), attachment("vol-1", "node-2")], published);
  checkNothingPublished(new Map([["h0", []]]));
});

test("a volume attached twice (two nodes) is refused", () => {
  const twice = [attachment("vol-0", "node-1"), attachment("vol-0", "node-2"), attachment("vol-1", "node-2")];
  assert.throws(() => checkAttached(wanted, twice, published), /vol-0: 2 attachments/);
});

test("an attachment on another node than its pod's, or not attached, is refused", () => {
  assert.throws(
    () => checkAttached(wanted, [attachment("vol-0", "node-2"), attachment("vol-1", "node-2")], published),
    /vol-0: 1 attachments \[node-2\], want 1 on node-1/,
  );
  assert.throws(
    () => checkAttached(wanted, [attachment("vol-0", "node-1", false), attachment("vol-1", "node-2")], published),
    /not attached/,
  );
});

test("a volume the driver published on another node too is refused", () => {
  const extra = new Map([...published, ["h0", ["node-1", "node-2"]]]);
  const both = [attachment("vol-0", "node-1"), attachment("vol-1", "node-2")];
  assert.throws(() => checkAttached(wanted, both, extra), /vol-0: published by the driver on \[node-1, node-2\]/);
});

test("a volume still published after detach is refused", () => {
  assert.throws(() => checkNothingPublished(published), /2 volumes still published/);
});
