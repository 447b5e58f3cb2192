// Names and messages users search for, against upstream's definitions (csi_attacher.go getAttachmentName,
// reconciler.reportMultiAttachError, util.IsMultiAttachAllowed).
import assert from "node:assert/strict";
import { test } from "node:test";
import type { PersistentVolume, PersistentVolumeAccessMode } from "../../api/core/types.js";
import { attachmentName, uniqueVolumeName } from "../../api/storage/attachmentnames.js";
import { multiAttachAllowed, multiAttachMessage } from "./names.js";

test("a VolumeAttachment is named csi- and the sha256 of volume handle, driver and node, concatenated", () => {
  // printf '%s' 'vol-1block.csi.stowage.devnode-1' | sha256sum
  assert.equal(
    attachmentName("vol-1", "block.csi.stowage.dev", "node-1"),
    "csi-0ed8d4a3315c371b654b4d78abda5701465edeeea2b581c1fc622d03b4ea17c7",
  );
});

test("a CSI volume's unique name in volumesInUse is kubernetes.io/csi/<driver>^<handle>", () => {
  assert.equal(uniqueVolumeName("block.csi.stowage.dev", "vol-1"), "kubernetes.io/csi/block.csi.stowage.dev^vol-1");
});

const pv = (modes: PersistentVolumeAccessMode[]): PersistentVolume => ({
  apiVersion: "v1",
  kind: "PersistentVolume",
  metadata: { name: "data" },
  spec: { accessModes: modes },
});

const multiAttach = [
  { modes: [], allowed: true }, // unknown: the driver decides
  { modes: ["ReadWriteOnce"], allowed: false },
  { modes: ["ReadWriteOncePod"], allowed: false },
  { modes: ["ReadOnlyMany"], allowed: true },
  { modes: ["ReadWriteMany"], allowed: true },
  { modes: ["ReadWriteOnce", "ReadOnlyMany"], allowed: true },
] satisfies { modes: PersistentVolumeAccessMode[]; allowed: boolean }[];
for (const c of multiAttach) {
  test(`a volume with access modes [${c.modes.join(", ")}] ${c.allowed ? "may" : "may not"} attach to a second node`, () =>
    assert.equal(multiAttachAllowed(pv(c.modes)), c.allowed));
}

const messages = [
  {
    name: "names the pods in the waiting pod's namespace",
    blocking: [
      { namespace: "default", name: "app-1" },
      { namespace: "default", name: "app-0" },
    ],
    want: 'Multi-Attach error for volume "data" Volume is already used by pod(s) app-1, app-0',
  },
  {
    name: "counts, never names, pods in other namespaces",
    blocking: [
      { namespace: "default", name: "app-1" },
      { namespace: "other", name: "secret-app" },
    ],
    want: 'Multi-Attach error for volume "data" Volume is already used by pod(s) app-1 and 1 pod(s) in different namespaces',
  },
  {
    name: "only counts when every blocking pod is elsewhere",
    blocking: [{ namespace: "other", name: "secret-app" }],
    want: 'Multi-Attach error for volume "data" Volume is already used by 1 pod(s) in different namespaces',
  },
  {
    name: "says exclusively attached when no pod holds it any more",
    blocking: [],
    want: `Multi-Attach error for volume "data" Volume is already exclusively attached to one node and can't be attached to another`,
  },
];
for (const c of messages) {
  test(`the Multi-Attach event ${c.name}`, () =>
    assert.equal(multiAttachMessage("data", "default", c.blocking), c.want));
}
