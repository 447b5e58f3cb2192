// Who applies a pod's fsGroup to a CSI volume, row by row against upstream's csi_mounter.go: the kubelet by the
// CSIDriver's fsGroupPolicy (supportsFSGroup), or the driver itself when it has VOLUME_MOUNT_GROUP, which then
// gets the group in the volume capability's volume_mount_group.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { FSGroupPolicy } from "../../api/storage/types.js";
import { capability, kubeletAppliesFSGroup, type CsiVolume } from "./csivolume.js";

const volume = (extra: Partial<CsiVolume> = {}): CsiVolume => ({
  podUid: "uid",
  outerName: "data",
  innerName: "pv-1",
  plugin: "kubernetes.io/csi",
  kind: "csi",
  source: { driver: "disk.example.com", volumeHandle: "h", fsType: "ext4" },
  pvName: "pv-1",
  claimKey: "default/data",
  readOnly: false,
  mountOptions: [],
  volumeMode: "Filesystem",
  accessModes: ["ReadWriteOnce"],
  fsGroup: 2000,
  ...extra,
});

const cases: Array<{ name: string; policy?: FSGroupPolicy; volume: CsiVolume; mountGroup?: boolean; want: boolean }> = [
  { name: "no CSIDriver object: ReadWriteOnceWithFSType, an RWO ext4 volume", volume: volume(), want: true },
  { name: "no fsGroup", volume: volume({ fsGroup: undefined }), want: false },
  { name: "a read-only volume", volume: volume({ readOnly: true }), want: false },
  { name: "policy None", policy: "None", volume: volume(), want: false },
  {
    name: "policy File, whatever the fsType and access modes",
    policy: "File",
    volume: volume({ source: { driver: "d", volumeHandle: "h" }, accessModes: ["ReadWriteMany"] }),
    want: true,
  },
  {
    name: "ReadWriteOnceWithFSType without an fsType",
    volume: volume({ source: { driver: "d", volumeHandle: "h" } }),
    want: false,
  },
  {
    name: "ReadWriteOnceWithFSType on a ReadWriteMany volume",
    volume: volume({ accessModes: ["ReadWriteMany"] }),
    want: false,
  },
  {
    name: "ReadWriteOnceWithFSType on a ReadWriteOncePod volume",
    volume: volume({ accessModes: ["ReadWriteOncePod"] }),
    want: true,
  },
  {
    name: "a driver with VOLUME_MOUNT_GROUP applies it itself",
    policy: "File",
    volume: volume(),
    mountGroup: true,
    want: false,
  },
];
for (const c of cases) {
  test(`the kubelet applies fsGroup: ${c.name} → ${c.want}`, () => {
    assert.equal(kubeletAppliesFSGroup(c.policy, c.volume, { volumeMountGroup: c.mountGroup }), c.want);
  });
}

test("a driver with VOLUME_MOUNT_GROUP is given the pod's fsGroup in volume_mount_group; others are not", () => {
  const driver = { singleNodeMultiWriter: false };
  assert.equal(capability(volume(), { ...driver, volumeMountGroup: true }).mount?.volume_mount_group, "2000");
  assert.equal(capability(volume(), driver).mount?.volume_mount_group, undefined);
  assert.equal(
    capability(volume({ fsGroup: undefined }), { ...driver, volumeMountGroup: true }).mount?.volume_mount_group,
    undefined,
  );
});
