// The VolumeCapability ControllerPublishVolume gets for a PV, row by row as csi-lib-utils' ToCSIAccessMode and
// external-attacher's GetVolumeCapabilities map it.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { PersistentVolumeAccessMode, PersistentVolumeSpec } from "../../../api/core/types.js";
import { AccessModeError, csiAccessMode, volumeCapability } from "./capability.js";

const modes = [
  { pv: ["ReadWriteOnce"], multiWriter: false, want: "SINGLE_NODE_WRITER" },
  { pv: ["ReadWriteOnce"], multiWriter: true, want: "SINGLE_NODE_MULTI_WRITER" },
  { pv: ["ReadWriteOncePod"], multiWriter: false, want: "SINGLE_NODE_WRITER" },
  { pv: ["ReadWriteOncePod"], multiWriter: true, want: "SINGLE_NODE_SINGLE_WRITER" },
  { pv: ["ReadOnlyMany"], multiWriter: false, want: "MULTI_NODE_READER_ONLY" },
  { pv: ["ReadWriteMany", "ReadWriteOnce"], multiWriter: false, want: "MULTI_NODE_MULTI_WRITER" },
  {
    pv: ["ReadOnlyMany", "ReadWriteOnce"],
    multiWriter: false,
    error: "CSI doesn't support ReadOnlyMany and ReadWriteOnce simultaneously",
  },
  {
    pv: ["ReadWriteOncePod", "ReadWriteOnce"],
    multiWriter: true,
    error: "CSI doesn't support ReadWriteOncePod with other access modes",
  },
  { pv: [], multiWriter: false, error: "unsupported AccessMode combination: []" },
] satisfies { pv: PersistentVolumeAccessMode[]; multiWriter: boolean; want?: string; error?: string }[];

for (const c of modes) {
  test(`access modes [${c.pv.join(", ")}] ${c.multiWriter ? "with" : "without"} SINGLE_NODE_MULTI_WRITER → ${c.want ?? "refused"}`, () => {
    if (c.error) assert.throws(() => csiAccessMode(c.pv, c.multiWriter), new AccessModeError(c.error));
    else assert.equal(csiAccessMode(c.pv, c.multiWriter), c.want);
  });
}

const spec = (extra: Partial<PersistentVolumeSpec>): PersistentVolumeSpec => ({
  accessModes: ["ReadWriteOnce"],
  csi: { driver: "block.csi.stowage.dev", volumeHandle: "vol-1" },
  ...extra,
});

test("a Filesystem PV is published as a mount with its fsType and mountOptions", () => {
  assert.deepEqual(
    volumeCapability(
      spec({ csi: { driver: "d", volumeHandle: "v", fsType: "xfs" }, mountOptions: ["noatime"] }),
      false,
    ),
    {
      mount: { fs_type: "xfs", mount_flags: ["noatime"] },
      access_mode: { mode: "SINGLE_NODE_WRITER" },
    },
  );
});

test("a PV without fsType gets the attacher's default fsType", () => {
  assert.deepEqual(volumeCapability(spec({}), false, "ext4").mount, { fs_type: "ext4", mount_flags: [] });
});

test("a Block PV is published as a raw block capability", () => {
  assert.deepEqual(volumeCapability(spec({ volumeMode: "Block" }), false), {
    block: {},
    access_mode: { mode: "SINGLE_NODE_WRITER" },
  });
});
