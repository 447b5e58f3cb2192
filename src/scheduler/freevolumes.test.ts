// The free candidates claims alike share: listed once, a taken volume skipped, a changed or freed one seen again.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { PersistentVolume, PersistentVolumeClaim } from "../api/core/types.js";
import { FreeVolumes } from "./freevolumes.js";

const volume = (name: string, size: string, claimRef?: string): PersistentVolume => ({
  apiVersion: "v1",
  kind: "PersistentVolume",
  metadata: { name },
  spec: {
    capacity: { storage: size },
    accessModes: ["ReadWriteOnce"],
    storageClassName: "local",
    ...(claimRef ? { claimRef: { namespace: "default", name: claimRef } } : {}),
  },
  status: { phase: "Available" },
});

const claim = (name: string, size: string): PersistentVolumeClaim => ({
  apiVersion: "v1",
  kind: "PersistentVolumeClaim",
  metadata: { name, namespace: "default" },
  spec: { accessModes: ["ReadWriteOnce"], storageClassName: "local", resources: { requests: { storage: size } } },
});

function world(volumes: PersistentVolume[]) {
  const store = new Map(volumes.map((v) => [v.metadata.name ?? "", v]));
  const assumed = new Set<string>();
  let listed = 0;
  const free = new FreeVolumes(
    () => {
      listed++;
      return [...store.values()];
    },
    (name) => store.get(name),
    (name) => assumed.has(name),
  );
  const open = (c: PersistentVolumeClaim) =>
    free
      .candidates(c)
      .free.filter((v) => free.isOpen(v))
      .map((v) => v.metadata.name);
  return { store, assumed, free, open, listed: () => listed };
}

test("claims of the same class and size share one list, smallest first; a bigger claim gets its own", () => {
  const w = world([volume("big", "10Gi"), volume("small", "1Gi"), volume("taken", "1Gi", "other")]);
  assert.deepEqual(w.open(claim("a", "1Gi")), ["small", "big"]);
  assert.equal(w.free.candidates(claim("b", "1Gi")), w.free.candidates(claim("a", "1Gi")));
  assert.equal(w.listed(), 1);
  assert.deepEqual(w.open(claim("c", "5Gi")), ["big"]);
});

test("a volume taken since the list was made is skipped without listing the class again", () => {
  const w = world([volume("one", "1Gi"), volume("two", "1Gi")]);
  assert.deepEqual(w.open(claim("a", "1Gi")), ["one", "two"]);
  w.store.set("one", volume("one", "1Gi", "a")); // the PV controller's claimRef
  w.free.taken("local");
  w.assumed.add("two"); // this scheduler's assumption
  w.free.taken("local");
  assert.deepEqual(w.open(claim("b", "1Gi")), []);
  assert.equal(w.listed(), 1);
});

test("a volume that came, or became free again, is listed after changed()", () => {
  const w = world([volume("one", "1Gi", "a")]);
  assert.deepEqual(w.open(claim("b", "1Gi")), []);
  w.store.set("one", volume("one", "1Gi"));
  w.store.set("new", volume("new", "1Gi"));
  w.free.changed("local");
  assert.deepEqual(w.open(claim("b", "1Gi")), ["new", "one"]);
});

test("after many volumes were taken the list is made anew, so skipping stays short", () => {
  const volumes = Array.from({ length: 100 }, (_, i) => volume(`pv-${String(i).padStart(3, "0")}`, "1Gi"));
  const w = world(volumes);
  w.free.candidates(claim("a", "1Gi"));
  for (let i = 0; i < 65; i++) {
    w.store.set(volumes[i].metadata.name ?? "", volume(volumes[i].metadata.name ?? "", "1Gi", `c-${i}`));
    w.free.taken("local");
  }
  assert.equal(w.free.candidates(claim("b", "1Gi")).free.length, 35);
  assert.equal(w.listed(), 2);
});
