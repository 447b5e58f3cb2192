// How CreateVolume and ControllerExpandVolume turn a capacity range into a size, one row per rule of the spec's
// CapacityRange (required_bytes is a floor, limit_bytes a ceiling, 0 means unset).
import assert from "node:assert/strict";
import { test } from "node:test";
import { Code, CsiError } from "../../errors.js";
import { fsTypeFromParameters, MiB, minimumVolumeBytes, sizeFor } from "./request.js";

const total = 1024 * MiB;
const cases: Array<{
  name: string;
  range: { required_bytes: number; limit_bytes: number } | null;
  want: number | Code;
}> = [
  { name: "no range: the default size", range: null, want: 256 * MiB },
  {
    name: "required bytes rounded up to whole MiB",
    range: { required_bytes: 64 * MiB + 1, limit_bytes: 0 },
    want: 65 * MiB,
  },
  {
    name: "tiny requests get the minimum size",
    range: { required_bytes: 1, limit_bytes: 0 },
    want: minimumVolumeBytes,
  },
  {
    name: "only a limit: the default, capped by it",
    range: { required_bytes: 0, limit_bytes: 100 * MiB },
    want: 100 * MiB,
  },
  {
    name: "required above limit is OUT_OF_RANGE",
    range: { required_bytes: 2 * MiB, limit_bytes: MiB },
    want: Code.OUT_OF_RANGE,
  },
  {
    name: "a limit below the minimum is OUT_OF_RANGE",
    range: { required_bytes: 0, limit_bytes: MiB },
    want: Code.OUT_OF_RANGE,
  },
  {
    name: "more than the driver's total is OUT_OF_RANGE",
    range: { required_bytes: 2 * total, limit_bytes: 0 },
    want: Code.OUT_OF_RANGE,
  },
  {
    name: "negative bytes are OUT_OF_RANGE (spec: unsupported capacity_range)",
    range: { required_bytes: -1, limit_bytes: 0 },
    want: Code.OUT_OF_RANGE,
  },
];
for (const c of cases) {
  test(`capacity range: ${c.name}`, () => {
    if (c.want >= minimumVolumeBytes) return assert.equal(sizeFor(c.range, 256 * MiB, total), c.want);
    assert.throws(
      () => sizeFor(c.range, 256 * MiB, total),
      (err: unknown) => err instanceof CsiError && err.code === c.want,
    );
  });
}

test("the StorageClass fsType parameter is honoured and an unknown one names the parameter", () => {
  assert.equal(fsTypeFromParameters({ "csi.storage.k8s.io/fstype": "xfs" }), "xfs");
  assert.equal(fsTypeFromParameters({}), "");
  assert.throws(
    () => fsTypeFromParameters({ "csi.storage.k8s.io/fstype": "ntfs" }),
    /parameters\[csi.storage.k8s.io\/fstype\]: fsType "ntfs" is not supported/,
  );
});
