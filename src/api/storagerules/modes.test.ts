// Access-mode and volume-mode checks; rows as upstream's TestCheckAccessModes and TestVolumeModeCheck
// (pkg/controller/volume/persistentvolume/index_test.go).
import assert from "node:assert/strict";
import test from "node:test";
import type { PersistentVolumeAccessMode, PersistentVolumeMode } from "../core/types.js";
import { accessModesKey, checkAccessModes, checkVolumeModeMismatches } from "./modes.js";
import { claim, volume } from "./testing/fixtures.js";

const rwoRwx: PersistentVolumeAccessMode[] = ["ReadWriteOnce", "ReadWriteMany"];
const accessCases: {
  name: string;
  offered: PersistentVolumeAccessMode[];
  wanted: PersistentVolumeAccessMode[];
  want: boolean;
}[] = [
  { name: "a RWO claim fits a RWO+RWX volume", offered: rwoRwx, wanted: ["ReadWriteOnce"], want: true },
  { name: "a RWX claim fits a RWO+RWX volume", offered: rwoRwx, wanted: ["ReadWriteMany"], want: true },
  {
    name: "a RWO+RWX claim fits a RWO+RWX volume",
    offered: rwoRwx,
    wanted: ["ReadWriteMany", "ReadWriteOnce"],
    want: true,
  },
  { name: "a ROX claim does not fit a RWO+RWX volume", offered: rwoRwx, wanted: ["ReadOnlyMany"], want: false },
  { name: "a RWO+ROX claim needs both modes", offered: rwoRwx, wanted: ["ReadWriteOnce", "ReadOnlyMany"], want: false },
  {
    name: "ReadWriteOncePod is a mode of its own",
    offered: ["ReadWriteOnce"],
    wanted: ["ReadWriteOncePod"],
    want: false,
  },
  { name: "a claim asking no mode fits any volume", offered: ["ReadOnlyMany"], wanted: [], want: true },
];
for (const c of accessCases) {
  test(`access modes: ${c.name}`, () => {
    assert.equal(
      checkAccessModes(claim("c", "1Gi", { modes: c.wanted }), volume("v", "1Gi", { modes: c.offered })),
      c.want,
    );
  });
}

const modeCases: { claim?: PersistentVolumeMode; volume?: PersistentVolumeMode; mismatch: boolean }[] = [
  { claim: "Block", volume: "Filesystem", mismatch: true },
  { claim: undefined, volume: "Filesystem", mismatch: false },
  { claim: undefined, volume: undefined, mismatch: false },
  { claim: undefined, volume: "Block", mismatch: true },
  { claim: "Block", volume: undefined, mismatch: true },
  { claim: "Filesystem", volume: "Block", mismatch: true },
  { claim: "Block", volume: "Block", mismatch: false },
  { claim: "Filesystem", volume: "Filesystem", mismatch: false },
];
for (const c of modeCases) {
  const shown = (mode?: PersistentVolumeMode) => mode ?? "unset (Filesystem)";
  test(`volume mode: a ${shown(c.claim)} claim and a ${shown(c.volume)} volume ${c.mismatch ? "mismatch" : "match"}`, () => {
    const subject = claim("c", "1Gi", { volumeMode: c.claim });
    assert.equal(
      checkVolumeModeMismatches(subject.spec, volume("v", "1Gi", { volumeMode: c.volume }).spec),
      c.mismatch,
    );
  });
}

const keyCases: { name: string; modes: PersistentVolumeAccessMode[] | undefined; want: string }[] = [
  { name: "no modes", modes: undefined, want: "" },
  { name: "one mode", modes: ["ReadWriteOnce"], want: "ReadWriteOnce" },
  { name: "order does not matter", modes: ["ReadWriteOnce", "ReadOnlyMany"], want: "ReadOnlyMany,ReadWriteOnce" },
  { name: "repeats count once", modes: ["ReadWriteOnce", "ReadWriteOnce"], want: "ReadWriteOnce" },
];
for (const c of keyCases) {
  test(`access-mode set key: ${c.name}`, () => assert.equal(accessModesKey(c.modes), c.want));
}
