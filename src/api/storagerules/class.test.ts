// Which class a claim asks for and a volume is in; rows as upstream's GetPersistentVolumeClaimClass,
// GetPersistentVolumeClass, PersistentVolumeClaimHasClass, GetDefaultClass and IsDelayBindingMode decide them.
import assert from "node:assert/strict";
import test from "node:test";
import type { StorageClass } from "../storage/types.js";
import { claimClass, claimHasClass, defaultClass, isDelayBindingMode, volumeClass } from "./class.js";
import { claim, storageClass, volume } from "./testing/fixtures.js";

const classCases = [
  { name: "spec.storageClassName is the class", className: "gold", betaClass: undefined, want: "gold" },
  { name: "the beta annotation alone is the class", className: undefined, betaClass: "silver", want: "silver" },
  {
    name: "the beta annotation wins over spec.storageClassName",
    className: "gold",
    betaClass: "silver",
    want: "silver",
  },
  { name: "an empty beta annotation wins too (it is present)", className: "gold", betaClass: "", want: "" },
  { name: 'class "" is no class', className: "", betaClass: undefined, want: "" },
  { name: 'neither set is class ""', className: undefined, betaClass: undefined, want: "" },
];
for (const c of classCases) {
  test(`a claim's class: ${c.name}`, () => {
    assert.equal(claimClass(claim("c", "1Gi", { className: c.className, betaClass: c.betaClass })), c.want);
  });
  test(`a volume's class: ${c.name}`, () => {
    assert.equal(volumeClass(volume("v", "1Gi", { className: c.className, betaClass: c.betaClass })), c.want);
  });
}

const hasClassCases = [
  {
    name: "a claim with neither field nor annotation has not chosen",
    className: undefined,
    betaClass: undefined,
    want: false,
  },
  { name: 'a claim with class "" has chosen no class', className: "", betaClass: undefined, want: true },
  { name: "a claim with a class has chosen it", className: "gold", betaClass: undefined, want: true },
  { name: "a claim with only the beta annotation has chosen", className: undefined, betaClass: "gold", want: true },
  { name: "an empty beta annotation is a choice too", className: undefined, betaClass: "", want: true },
];
for (const c of hasClassCases) {
  test(c.name, () => {
    assert.equal(claimHasClass(claim("c", "1Gi", { className: c.className, betaClass: c.betaClass })), c.want);
  });
}

const defaultCases: { name: string; classes: StorageClass[]; want: string | undefined }[] = [
  { name: "no class marked default: none", classes: [storageClass("gold")], want: undefined },
  { name: '"false" is not default', classes: [storageClass("gold", { isDefault: "false" })], want: undefined },
  {
    name: "the one marked default",
    classes: [storageClass("gold"), storageClass("standard", { isDefault: "ga" })],
    want: "standard",
  },
  {
    name: "the beta annotation marks a default too",
    classes: [storageClass("old", { isDefault: "beta" })],
    want: "old",
  },
  {
    name: "several defaults: the newest",
    classes: [
      storageClass("older", { isDefault: "ga", created: "2026-01-01T00:00:00Z" }),
      storageClass("newer", { isDefault: "ga", created: "2026-02-01T00:00:00Z" }),
    ],
    want: "newer",
  },
  {
    name: "several defaults created together: the first name",
    classes: [storageClass("b", { isDefault: "ga" }), storageClass("a", { isDefault: "beta" })],
    want: "a",
  },
];
for (const c of defaultCases) {
  test(`the default class: ${c.name}`, () => {
    assert.equal(defaultClass(c.classes)?.metadata.name, c.want);
  });
}

const delayCases: {
  name: string;
  claimClass?: string;
  betaClass?: string;
  classes: StorageClass[];
  want: boolean | "throws";
}[] = [
  { name: "a claim without a class binds at once", classes: [], want: false },
  { name: "a class that does not exist (yet) binds at once", claimClass: "gold", classes: [], want: false },
  {
    name: "an Immediate class binds at once",
    claimClass: "gold",
    classes: [storageClass("gold", { mode: "Immediate" })],
    want: false,
  },
  {
    name: "a WaitForFirstConsumer class waits for a pod",
    claimClass: "local",
    classes: [storageClass("local", { mode: "WaitForFirstConsumer" })],
    want: true,
  },
  {
    name: "the beta annotation names the class",
    betaClass: "local",
    classes: [storageClass("local", { mode: "WaitForFirstConsumer" })],
    want: true,
  },
  {
    name: "a class without volumeBindingMode is an error",
    claimClass: "gold",
    classes: [storageClass("gold", { mode: null })],
    want: "throws",
  },
];
for (const c of delayCases) {
  test(`delayed binding: ${c.name}`, () => {
    const subject = claim("c", "1Gi", { className: c.claimClass, betaClass: c.betaClass });
    const named = (name: string) => c.classes.find((sc) => sc.metadata.name === name);
    if (c.want === "throws") {
      assert.throws(() => isDelayBindingMode(subject, named), /VolumeBindingMode not set for StorageClass "gold"/);
    } else assert.equal(isDelayBindingMode(subject, named), c.want);
  });
}
