// The binder's state transitions, one row per upstream branch (pv_controller.go's "unit test sets" 1–4 and
// reclaim). Each row starts a small cluster, runs the binder to a fixed point, optionally changes something
// (a user deleting a claim, a scheduler selecting a node) and runs it again, then checks what a user would
// see: phases, bindings, annotations, events.
import assert from "node:assert/strict";
import { mkdtemp, mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import {
  msgExternalProvisioning,
  msgLostReference,
  msgLostVolume,
  msgMisbound,
  msgNoVolumeNoClass,
  msgWaitForFirstConsumer,
} from "./binder.js";
import { msgNoRecycler, msgUnknownReclaimPolicy } from "./reclaim.js";
import { pod, pv, pvc, ref, sc } from "./testing/fixtures.js";
import type { WorldObjects } from "./testing/world.js";
import { World } from "./testing/world.js";

type Want = [phase: string | undefined, other: string | undefined];

interface Case {
  name: string;
  given: WorldObjects;
  /** A change after the first fixed point (then the binder runs again). */
  then?: (world: World) => void;
  claims?: Record<string, Want>;
  volumes?: Record<string, Want>;
  /** [object name, reason, message (exact, optional)] that must have been recorded. */
  events?: Array<[string, string, string?]>;
  /** Reasons that must NOT have been recorded for an object. */
  noEvents?: Array<[string, string]>;
  claimAnnotations?: Record<string, Record<string, string | undefined>>;
  volumeAnnotations?: Record<string, Record<string, string | undefined>>;
  check?: (world: World) => void;
}

const BC = "pv.kubernetes.io/bind-completed";
const BBC = "pv.kubernetes.io/bound-by-controller";
const SN = "volume.kubernetes.io/selected-node";
const SP = "volume.kubernetes.io/storage-provisioner";
const BSP = "volume.beta.kubernetes.io/storage-provisioner";
const boundClaim = (name: string, volume: string, extra: Parameters<typeof pvc>[2] = {}) =>
  pvc(name, "1Gi", { volumeName: volume, phase: "Bound", annotations: { [BC]: "yes", [BBC]: "yes" }, ...extra });
const wffc = sc("local", { provisioner: "kubernetes.io/no-provisioner", mode: "WaitForFirstConsumer" });
const wffcCsi = sc("fast", { mode: "WaitForFirstConsumer" });

const cases: Case[] = [
  // ---- set 1: claims that did not ask for a volume -----------------------------------------------------
  {
    name: "a Pending claim binds to a matching Available volume: both Bound, with upstream's annotations",
    given: { volumes: [pv("v", "5Gi")], claims: [pvc("c", "5Gi")] },
    claims: { c: ["Bound", "v"] },
    volumes: { v: ["Bound", "c"] },
    claimAnnotations: { c: { [BC]: "yes", [BBC]: "yes" } },
    volumeAnnotations: { v: { [BBC]: "yes" } },
    check: (w) => {
      assert.deepEqual(w.claim("c")?.status?.capacity, { storage: "5Gi" });
      assert.deepEqual(w.claim("c")?.status?.accessModes, ["ReadWriteOnce"]);
      assert.equal(w.volume("v")?.spec.claimRef?.uid, "uid-c");
      assert.equal(w.volume("v")?.spec.claimRef?.kind, "PersistentVolumeClaim");
    },
  },
  {
    name: "the claim's status capacity is the volume's, not the request",
    given: { volumes: [pv("v", "10Gi")], claims: [pvc("c", "1Gi")] },
    check: (w) => assert.deepEqual(w.claim("c")?.status?.capacity, { storage: "10Gi" }),
  },
  {
    name: "the claim's status access modes are the volume's",
    given: { volumes: [pv("v", "1Gi", { modes: ["ReadWriteOnce", "ReadOnlyMany"] })], claims: [pvc("c", "1Gi")] },
    check: (w) => assert.deepEqual(w.claim("c")?.status?.accessModes, ["ReadWriteOnce", "ReadOnlyMany"]),
  },
  {
    name: "no volume and no class: Pending with FailedBinding",
    given: { claims: [pvc("c", "1Gi")] },
    claims: { c: ["Pending", undefined] },
    events: [["c", "FailedBinding", msgNoVolumeNoClass]],
  },
  {
    name: "a too-small volume leaves the claim Pending and the volume Available",
    given: { volumes: [pv("v", "1Gi")], claims: [pvc("c", "2Gi")] },
    claims: { c: ["Pending", undefined] },
    volumes: { v: ["Available", undefined] },
  },
  {
    name: "two claims, two volumes: each binds a distinct volume",
    given: { volumes: [pv("a", "1Gi"), pv("b", "1Gi")], claims: [pvc("c1", "1Gi"), pvc("c2", "1Gi")] },
    claims: { c1: ["Bound", "a"], c2: ["Bound", "b"] },
    volumes: { a: ["Bound", "c1"], b: ["Bound", "c2"] },
  },
  {
    name: "two claims, one volume: one binds, the other stays Pending",
    given: { volumes: [pv("a", "1Gi")], claims: [pvc("c1", "1Gi"), pvc("c2", "1Gi")] },
    claims: { c1: ["Bound", "a"], c2: ["Pending", undefined] },
  },
  {
    name: "a claim with a class binds a static volume of that class without provisioning",
    given: {
      classes: [sc("gold")],
      volumes: [pv("v", "1Gi", { className: "gold" })],
      claims: [pvc("c", "1Gi", { className: "gold" })],
    },
    claims: { c: ["Bound", "v"] },
    noEvents: [["c", "ExternalProvisioning"]],
  },
  {
    name: "a claim with an external provisioner's class and no volume is handed to the provisioner",
    given: { classes: [sc("gold")], claims: [pvc("c", "1Gi", { className: "gold" })] },
    claims: { c: ["Pending", undefined] },
    claimAnnotations: { c: { [SP]: "hostpath.csi.stowage.io", [BSP]: "hostpath.csi.stowage.io" } },
    events: [["c", "ExternalProvisioning", msgExternalProvisioning("hostpath.csi.stowage.io")]],
  },
  {
    name: "a provisioned volume for a handed-off claim gets bound",
    given: { classes: [sc("gold")], claims: [pvc("c", "1Gi", { className: "gold" })] },
    then: (w) =>
      w.putVolume(
        pv("pvc-1", "1Gi", {
          className: "gold",
          claimRef: ref("c", "uid-c"),
          phase: "Pending",
          annotations: { "pv.kubernetes.io/provisioned-by": "hostpath.csi.stowage.io" },
          policy: "Delete",
          csi: true,
        }),
      ),
    claims: { c: ["Bound", "pvc-1"] },
    volumes: { "pvc-1": ["Bound", "c"] },
    volumeAnnotations: { "pvc-1": { [BBC]: undefined } },
    claimAnnotations: { c: { [BC]: "yes", [BBC]: "yes" } },
  },
  {
    name: "kubernetes.io/no-provisioner with Immediate binding: ProvisioningFailed, waits for a static volume",
    given: {
      classes: [sc("local", { provisioner: "kubernetes.io/no-provisioner" })],
      claims: [pvc("c", "1Gi", { className: "local" })],
    },
    claims: { c: ["Pending", undefined] },
    events: [["c", "ProvisioningFailed", "no volume plugin matched name: kubernetes.io/no-provisioner"]],
    claimAnnotations: { c: { [SP]: undefined } },
  },
  {
    name: "kubernetes.io/no-provisioner: a static volume created later binds",
    given: {
      classes: [sc("local", { provisioner: "kubernetes.io/no-provisioner" })],
      claims: [pvc("c", "1Gi", { className: "local" })],
    },
    then: (w) => w.putVolume(pv("v", "1Gi", { className: "local" })),
    claims: { c: ["Bound", "v"] },
  },
  {
    name: "a class that does not exist: ProvisioningFailed saying so",
    given: { claims: [pvc("c", "1Gi", { className: "missing" })] },
    events: [["c", "ProvisioningFailed", 'storageclass.storage.k8s.io "missing" not found']],
    claims: { c: ["Pending", undefined] },
  },
  {
    name: "WaitForFirstConsumer: an unused claim stays Pending with a WaitForFirstConsumer event, even with a volume",
    given: {
      classes: [wffc],
      volumes: [pv("v", "1Gi", { className: "local" })],
      claims: [pvc("c", "1Gi", { className: "local" })],
    },
    claims: { c: ["Pending", undefined] },
    volumes: { v: ["Available", undefined] },
    events: [["c", "WaitForFirstConsumer", msgWaitForFirstConsumer]],
  },
  {
    name: "WaitForFirstConsumer with an unscheduled pod: WaitForPodScheduled names the pod",
    given: { classes: [wffc], claims: [pvc("c", "1Gi", { className: "local" })], pods: [pod("app", "c")] },
    events: [["c", "WaitForPodScheduled", "waiting for pod app to be scheduled"]],
  },
  {
    name: "WaitForFirstConsumer: once selected-node is set, a volume whose node affinity admits the node binds",
    given: {
      classes: [wffc],
      volumes: [
        pv("on-2", "1Gi", {
          className: "local",
          nodeAffinity: {
            required: {
              nodeSelectorTerms: [
                { matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: ["node-2"] }] },
              ],
            },
          },
        }),
        pv("on-1", "5Gi", {
          className: "local",
          nodeAffinity: {
            required: {
              nodeSelectorTerms: [
                { matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: ["node-1"] }] },
              ],
            },
          },
        }),
      ],
      claims: [pvc("c", "1Gi", { className: "local" })],
    },
    then: (w) => {
      const c = structuredClone(w.claim("c")!);
      c.metadata.annotations = { ...(c.metadata.annotations ?? {}), [SN]: "node-1" };
      w.putClaim(c);
    },
    claims: { c: ["Bound", "on-1"] },
    volumes: { "on-2": ["Available", undefined] },
  },
  {
    name: "WaitForFirstConsumer with a provisioner: selected-node hands the claim to the provisioner",
    given: { classes: [wffcCsi], claims: [pvc("c", "1Gi", { className: "fast", annotations: { [SN]: "node-1" } })] },
    claimAnnotations: { c: { [SP]: "hostpath.csi.stowage.io" } },
    events: [["c", "ExternalProvisioning"]],
    noEvents: [["c", "WaitForFirstConsumer"]],
  },
  {
    name: "WaitForFirstConsumer without selected-node does not hand off to the provisioner",
    given: { classes: [wffcCsi], claims: [pvc("c", "1Gi", { className: "fast" })] },
    claimAnnotations: { c: { [SP]: undefined } },
    noEvents: [["c", "ExternalProvisioning"]],
  },
  {
    name: "a claim made before any default class gets the default retroactively and is handed off",
    given: { claims: [pvc("c", "1Gi", { className: null })] },
    then: (w) => w.classes.push(sc("std", { isDefault: true })),
    check: (w) => assert.equal(w.claim("c")?.spec.storageClassName, "std"),
    claimAnnotations: { c: { [SP]: "hostpath.csi.stowage.io" } },
  },
  {
    name: 'a claim with class "" never gets the default class',
    given: { classes: [sc("std", { isDefault: true })], claims: [pvc("c", "1Gi", { className: "" })] },
    check: (w) => assert.equal(w.claim("c")?.spec.storageClassName, ""),
    events: [["c", "FailedBinding", msgNoVolumeNoClass]],
  },
  {
    name: "a claim with the beta class annotation is not given the default class",
    given: { classes: [sc("std", { isDefault: true })], claims: [pvc("c", "1Gi", { className: null, betaClass: "" })] },
    check: (w) => assert.equal(w.claim("c")?.spec.storageClassName, undefined),
  },
  {
    name: "with two default classes the newest is assigned",
    given: {
      classes: [
        sc("old", { isDefault: true, created: "2025-01-01T00:00:00Z" }),
        sc("new", { isDefault: true, created: "2026-01-01T00:00:00Z" }),
      ],
      claims: [pvc("c", "1Gi", { className: null })],
    },
    check: (w) => assert.equal(w.claim("c")?.spec.storageClassName, "new"),
  },
  {
    name: "a classless claim binds a classless volume before any default class is considered",
    given: {
      classes: [sc("std", { isDefault: true })],
      volumes: [pv("v", "1Gi")],
      claims: [pvc("c", "1Gi", { className: null })],
    },
    claims: { c: ["Bound", "v"] },
    check: (w) => assert.equal(w.claim("c")?.spec.storageClassName, undefined),
  },
  // ---- pre-bound volumes (spec.claimRef set by a user) -------------------------------------------------
  {
    name: "a volume pre-bound to a claim by name binds it; the volume gets no bound-by-controller",
    given: { volumes: [pv("free", "1Gi"), pv("mine", "10Gi", { claimRef: ref("c") })], claims: [pvc("c", "1Gi")] },
    claims: { c: ["Bound", "mine"] },
    volumes: { mine: ["Bound", "c"], free: ["Available", undefined] },
    volumeAnnotations: { mine: { [BBC]: undefined } },
    claimAnnotations: { c: { [BBC]: "yes", [BC]: "yes" } },
    check: (w) => assert.equal(w.volume("mine")?.spec.claimRef?.uid, "uid-c"),
  },
  {
    name: "a pre-bound volume waiting for its claim is Available but not offered to others",
    given: { volumes: [pv("mine", "1Gi", { claimRef: ref("c"), phase: "Pending" })], claims: [pvc("other", "1Gi")] },
    volumes: { mine: ["Available", "c"] },
    claims: { other: ["Pending", undefined] },
  },
  {
    name: "a pre-bound volume with another claim's UID is not bound to a new claim of the same name",
    given: {
      volumes: [pv("old", "1Gi", { claimRef: ref("c", "uid-deleted"), phase: "Bound" })],
      claims: [pvc("c", "1Gi", { uid: "uid-new" })],
    },
    claims: { c: ["Pending", undefined] },
    volumes: { old: ["Released", "c"] },
  },
  // ---- set 2: claims that asked for a volume (spec.volumeName) ---------------------------------------------
  {
    name: "a claim pre-bound to an Available volume binds it; the claim gets no bound-by-controller",
    given: { volumes: [pv("v", "5Gi")], claims: [pvc("c", "1Gi", { volumeName: "v" })] },
    claims: { c: ["Bound", "v"] },
    volumes: { v: ["Bound", "c"] },
    claimAnnotations: { c: { [BC]: "yes", [BBC]: undefined } },
    volumeAnnotations: { v: { [BBC]: "yes" } },
  },
  {
    name: "a claim pre-bound to a missing volume stays Pending until it appears",
    given: { claims: [pvc("c", "1Gi", { volumeName: "later" })] },
    then: (w) => w.putVolume(pv("later", "1Gi")),
    claims: { c: ["Bound", "later"] },
  },
  {
    name: "a claim pre-bound to a missing volume is Pending (no event)",
    given: { claims: [pvc("c", "1Gi", { volumeName: "nope" })] },
    claims: { c: ["Pending", "nope"] },
    noEvents: [["c", "FailedBinding"]],
  },
  {
    name: "pre-bound claim, volume too small: VolumeMismatch, Pending",
    given: { volumes: [pv("v", "1Gi")], claims: [pvc("c", "2Gi", { volumeName: "v" })] },
    claims: { c: ["Pending", "v"] },
    volumes: { v: ["Available", undefined] },
    events: [["c", "VolumeMismatch", 'Cannot bind to requested volume "v": requested PV is too small']],
  },
  {
    name: "pre-bound claim, other class: VolumeMismatch storageClassName does not match",
    given: { volumes: [pv("v", "1Gi", { className: "gold" })], claims: [pvc("c", "1Gi", { volumeName: "v" })] },
    events: [["c", "VolumeMismatch", 'Cannot bind to requested volume "v": storageClassName does not match']],
  },
  {
    name: "pre-bound claim, other volumeMode: VolumeMismatch incompatible volumeMode",
    given: { volumes: [pv("v", "1Gi", { volumeMode: "Block" })], claims: [pvc("c", "1Gi", { volumeName: "v" })] },
    events: [["c", "VolumeMismatch", 'Cannot bind to requested volume "v": incompatible volumeMode']],
  },
  {
    name: "pre-bound claim, missing access mode: VolumeMismatch incompatible accessMode",
    given: { volumes: [pv("v", "1Gi", { modes: ["ReadOnlyMany"] })], claims: [pvc("c", "1Gi", { volumeName: "v" })] },
    events: [["c", "VolumeMismatch", 'Cannot bind to requested volume "v": incompatible accessMode']],
  },
  {
    name: "pre-bound claim ignores the volume's labels (selectors apply only to the binder's choice)",
    given: {
      volumes: [pv("v", "1Gi", { labels: { tier: "web" } })],
      claims: [pvc("c", "1Gi", { volumeName: "v", selector: { matchLabels: { tier: "db" } } })],
    },
    claims: { c: ["Bound", "v"] },
  },
  {
    name: "pre-bound claim, volume being deleted: VolumeMismatch",
    given: { volumes: [pv("v", "1Gi", { deleting: true })], claims: [pvc("c", "1Gi", { volumeName: "v" })] },
    events: [["c", "VolumeMismatch", 'Cannot bind to requested volume "v": the volume is marked for deletion "v"']],
  },
  {
    name: "pre-bound both ways (claim names volume, volume names claim): Bound, neither bound-by-controller",
    given: { volumes: [pv("v", "1Gi", { claimRef: ref("c") })], claims: [pvc("c", "1Gi", { volumeName: "v" })] },
    claims: { c: ["Bound", "v"] },
    volumes: { v: ["Bound", "c"] },
    claimAnnotations: { c: { [BBC]: undefined, [BC]: "yes" } },
    volumeAnnotations: { v: { [BBC]: undefined } },
  },
  {
    name: "pre-bound claim naming a volume bound to another claim: FailedBinding, Pending",
    given: {
      volumes: [pv("v", "1Gi", { claimRef: ref("other", "uid-other"), phase: "Bound" })],
      claims: [
        pvc("other", "1Gi", { volumeName: "v", phase: "Bound", annotations: { [BC]: "yes" } }),
        pvc("c", "1Gi", { volumeName: "v" }),
      ],
    },
    claims: { c: ["Pending", "v"], other: ["Bound", "v"] },
    events: [["c", "FailedBinding", 'volume "v" already bound to a different claim.']],
  },
  {
    name: "the PV is written before the claim: a PV already pointing at the claim (crash in between) is finished",
    given: {
      volumes: [
        pv("v", "1Gi", { claimRef: ref("c", "uid-c"), phase: "Available", annotations: { [BBC]: "yes" } }),
        pv("w", "1Gi"),
      ],
      claims: [pvc("c", "1Gi")],
    },
    claims: { c: ["Bound", "v"] },
    volumes: { v: ["Bound", "c"], w: ["Available", undefined] },
  },
  // ---- set 3: claims that completed binding ------------------------------------------------------------
  {
    name: "a bound claim whose volume is deleted becomes Lost with ClaimLost",
    given: { claims: [boundClaim("c", "gone")] },
    claims: { c: ["Lost", "gone"] },
    events: [["c", "ClaimLost", msgLostVolume]],
    check: (w) => assert.equal(w.claim("c")?.status?.capacity, undefined),
  },
  {
    name: "a bound claim whose volumeName was cleared becomes Lost",
    given: { claims: [pvc("c", "1Gi", { phase: "Bound", annotations: { [BC]: "yes" } })] },
    claims: { c: ["Lost", undefined] },
    events: [["c", "ClaimLost", msgLostReference]],
  },
  {
    name: "a Lost claim records ClaimLost once, not on every sync",
    given: { claims: [boundClaim("c", "gone")] },
    then: () => undefined,
    check: (w) => assert.equal(w.reasons("c").filter((r) => r === "ClaimLost").length, 1),
  },
  {
    name: "a bound claim whose volume lost its claimRef binds it again",
    given: { volumes: [pv("v", "1Gi", { phase: "Available" })], claims: [boundClaim("c", "v")] },
    claims: { c: ["Bound", "v"] },
    volumes: { v: ["Bound", "c"] },
  },
  {
    name: "a bound claim whose volume is bound to another claim is Lost with ClaimMisbound",
    given: {
      volumes: [pv("v", "1Gi", { claimRef: ref("other", "uid-other"), phase: "Bound" })],
      claims: [boundClaim("c", "v"), boundClaim("other", "v")],
    },
    claims: { c: ["Lost", "v"], other: ["Bound", "v"] },
    events: [["c", "ClaimMisbound", msgMisbound]],
  },
  {
    name: "a correctly bound pair is left alone (no writes, no events)",
    given: {
      volumes: [pv("v", "1Gi", { claimRef: ref("c", "uid-c"), phase: "Bound", annotations: { [BBC]: "yes" } })],
      claims: [
        {
          ...boundClaim("c", "v"),
          status: { phase: "Bound", accessModes: ["ReadWriteOnce"], capacity: { storage: "1Gi" } },
        },
      ],
    },
    check: (w) => {
      assert.equal(w.events.length, 0);
      assert.equal(w.volume("v")?.metadata.resourceVersion, "2");
    },
  },
  // ---- set 4: volumes ----------------------------------------------------------------------------------
  {
    name: "a new volume without claimRef becomes Available",
    given: { volumes: [pv("v", "1Gi", { phase: "Pending" })] },
    volumes: { v: ["Available", undefined] },
  },
  {
    name: "deleting a bound claim makes a Retain volume Released, keeping its claimRef",
    given: { volumes: [pv("v", "5Gi", { policy: "Retain" })], claims: [pvc("c", "5Gi")] },
    then: (w) => w.deleteClaim("default", "c"),
    volumes: { v: ["Released", "c"] },
  },
  {
    name: "a Released Retain volume is not offered to a new claim",
    given: { volumes: [pv("v", "5Gi")], claims: [pvc("c", "5Gi")] },
    then: (w) => {
      w.deleteClaim("default", "c");
      w.putClaim(pvc("c2", "5Gi"));
    },
    claims: { c2: ["Pending", undefined] },
    volumes: { v: ["Released", "c"] },
  },
  {
    name: "a claim re-created with the same name does not get the Released volume back",
    given: { volumes: [pv("v", "5Gi")], claims: [pvc("c", "5Gi")] },
    then: (w) => {
      w.deleteClaim("default", "c");
      w.putClaim(pvc("c", "5Gi", { uid: "uid-c-again" }));
    },
    claims: { c: ["Pending", undefined] },
    volumes: { v: ["Released", "c"] },
  },
  {
    name: "a volume bound by the controller to a claim that went elsewhere is unbound and Available",
    given: {
      volumes: [
        pv("v", "1Gi", { claimRef: ref("c", "uid-c"), phase: "Bound", annotations: { [BBC]: "yes" } }),
        pv("w", "1Gi", { claimRef: ref("c", "uid-c"), phase: "Bound" }),
      ],
      claims: [boundClaim("c", "w")],
    },
    volumes: { v: ["Available", undefined], w: ["Bound", "c"] },
    volumeAnnotations: { v: { [BBC]: undefined } },
  },
  {
    name: "a volume pre-bound by a user to a claim that went elsewhere keeps its claimRef without UID",
    given: {
      volumes: [
        pv("v", "1Gi", { claimRef: ref("c", "uid-c"), phase: "Bound" }),
        pv("w", "1Gi", { claimRef: ref("c", "uid-c"), phase: "Bound" }),
      ],
      claims: [boundClaim("c", "w")],
    },
    volumes: { v: ["Available", "c"] },
    check: (w) => assert.equal(w.volume("v")?.spec.claimRef?.uid, undefined),
  },
  {
    name: "a provisioned Delete volume whose claim bound elsewhere is Released for its provisioner to delete",
    given: {
      volumes: [
        pv("v", "1Gi", {
          claimRef: ref("c", "uid-c"),
          phase: "Bound",
          policy: "Delete",
          csi: true,
          annotations: { "pv.kubernetes.io/provisioned-by": "hostpath.csi.stowage.io" },
        }),
        pv("w", "1Gi", { claimRef: ref("c", "uid-c"), phase: "Bound" }),
      ],
      claims: [boundClaim("c", "w")],
    },
    volumes: { v: ["Released", "c"] },
  },
  {
    name: "a volume bound to a Pending claim with another volumeMode: VolumeMismatch on both",
    given: {
      volumes: [pv("v", "1Gi", { claimRef: ref("c", "uid-c"), phase: "Bound", volumeMode: "Block" })],
      claims: [pvc("c", "1Gi")],
    },
    events: [
      [
        "v",
        "VolumeMismatch",
        'Cannot bind PersistentVolume to requested PersistentVolumeClaim "c" due to incompatible volumeMode.',
      ],
      [
        "c",
        "VolumeMismatch",
        'Cannot bind PersistentVolume "v" to requested PersistentVolumeClaim due to incompatible volumeMode.',
      ],
    ],
    claims: { c: ["Pending", undefined] },
  },
  // ---- reclaim ----------------------------------------------------------------------------------------
  {
    name: "Delete on a provisioned volume leaves deletion to the provisioner (Released, not deleted)",
    given: {
      volumes: [
        pv("v", "1Gi", {
          policy: "Delete",
          csi: true,
          annotations: { "pv.kubernetes.io/provisioned-by": "hostpath.csi.stowage.io" },
        }),
      ],
      claims: [pvc("c", "1Gi")],
    },
    then: (w) => w.deleteClaim("default", "c"),
    volumes: { v: ["Released", "c"] },
    noEvents: [["v", "VolumeFailedDelete"]],
  },
  {
    name: "Delete on a static volume no plugin can delete (nfs): Failed with VolumeFailedDelete",
    given: {
      volumes: [
        (() => {
          const v = pv("v", "1Gi", { policy: "Delete" });
          delete v.spec.hostPath;
          v.spec.nfs = { server: "nfs.example.com", path: "/exports" };
          return v;
        })(),
      ],
      claims: [pvc("c", "1Gi")],
    },
    then: (w) => w.deleteClaim("default", "c"),
    volumes: { v: ["Failed", "c"] },
    events: [
      [
        "v",
        "VolumeFailedDelete",
        'error getting deleter volume plugin for volume "v": no deletable volume plugin matched',
      ],
    ],
    check: (w) => assert.match(w.volume("v")?.status?.message ?? "", /no deletable volume plugin matched/),
  },
  {
    name: "Delete on a hostPath outside the allowed root: Failed, directory untouched",
    given: {
      volumes: [pv("v", "1Gi", { policy: "Delete", hostPath: "/var/lib/important" })],
      claims: [pvc("c", "1Gi")],
    },
    then: (w) => w.deleteClaim("default", "c"),
    volumes: { v: ["Failed", "c"] },
    events: [
      ["v", "VolumeFailedDelete", "host_path deleter only supports /tmp/.+ but received provided /var/lib/important"],
    ],
  },
  {
    name: "Recycle on a non-hostPath volume: Failed with VolumeFailedRecycle, no recycler",
    given: { volumes: [pv("v", "1Gi", { policy: "Recycle", csi: true })], claims: [pvc("c", "1Gi")] },
    then: (w) => w.deleteClaim("default", "c"),
    volumes: { v: ["Failed", "c"] },
    events: [["v", "VolumeFailedRecycle", msgNoRecycler]],
  },
  {
    name: "Recycle on a hostPath outside the allowed root: Failed with Recycle failed",
    given: { volumes: [pv("v", "1Gi", { policy: "Recycle", hostPath: "/etc" })], claims: [pvc("c", "1Gi")] },
    then: (w) => w.deleteClaim("default", "c"),
    volumes: { v: ["Failed", "c"] },
    events: [
      [
        "v",
        "VolumeFailedRecycle",
        "Recycle failed: host_path recycler only supports /tmp/.+ but received provided /etc",
      ],
    ],
  },
  {
    name: "an unknown reclaim policy: Failed with VolumeUnknownReclaimPolicy",
    given: {
      volumes: [
        {
          ...pv("v", "1Gi", { claimRef: ref("c", "uid-c"), phase: "Bound" }),
          spec: {
            ...pv("v", "1Gi", { claimRef: ref("c", "uid-c") }).spec,
            persistentVolumeReclaimPolicy: "Scrub" as "Retain",
          },
        },
      ],
    },
    volumes: { v: ["Failed", "c"] },
    events: [["v", "VolumeUnknownReclaimPolicy", msgUnknownReclaimPolicy]],
  },
  {
    name: "a Failed volume stays Failed (not overwritten by Released) while its reclaim keeps failing",
    given: { volumes: [pv("v", "1Gi", { policy: "Delete", csi: true, claimRef: ref("c", "uid-c"), phase: "Failed" })] },
    volumes: { v: ["Failed", "c"] },
    noEvents: [["v", "VolumeFailedDelete"]],
  },
];

for (const c of cases) {
  test(c.name, async () => {
    const world = new World(c.given);
    await world.converge();
    if (c.then) {
      c.then(world);
      await world.converge();
    }
    for (const [name, [phase, volumeName]] of Object.entries(c.claims ?? {})) {
      const claim = world.claim(name);
      assert.equal(claim?.status?.phase, phase, `claim ${name} phase`);
      assert.equal(claim?.spec.volumeName, volumeName, `claim ${name} volumeName`);
    }
    for (const [name, [phase, claimName]] of Object.entries(c.volumes ?? {})) {
      const volume = world.volume(name);
      assert.equal(volume?.status?.phase, phase, `volume ${name} phase`);
      assert.equal(volume?.spec.claimRef?.name, claimName, `volume ${name} claimRef`);
    }
    for (const [name, want] of Object.entries(c.claimAnnotations ?? {})) {
      for (const [key, value] of Object.entries(want))
        assert.equal(world.claim(name)?.metadata.annotations?.[key], value, `claim ${name} ${key}`);
    }
    for (const [name, want] of Object.entries(c.volumeAnnotations ?? {})) {
      for (const [key, value] of Object.entries(want))
        assert.equal(world.volume(name)?.metadata.annotations?.[key], value, `volume ${name} ${key}`);
    }
    for (const [name, reason, message] of c.events ?? []) {
      const found = world.events.find(
        (e) => e.name === name && e.reason === reason && (message === undefined || e.message === message),
      );
      assert.ok(
        found,
        `event ${reason} on ${name}${message ? ` "${message}"` : ""}; got ${JSON.stringify(world.events)}`,
      );
    }
    for (const [name, reason] of c.noEvents ?? [])
      assert.ok(!world.reasons(name).includes(reason), `no ${reason} on ${name}`);
    c.check?.(world);
  });
}

test("Recycle scrubs a hostPath volume under the allowed root and makes it Available again", async (t) => {
  const root = await mkdtemp(join(tmpdir(), "stowage-recycle-"));
  t.after(() => rm(root, { recursive: true, force: true }));
  const dir = join(root, "vol");
  await mkdir(join(dir, "sub"), { recursive: true });
  await writeFile(join(dir, "data.txt"), "secret");
  await writeFile(join(dir, ".hidden"), "secret");
  const world = new World(
    { volumes: [pv("v", "1Gi", { policy: "Recycle", hostPath: dir })], claims: [pvc("c", "1Gi")] },
    { hostPathReclaimRoots: [root] },
  );
  await world.converge();
  assert.equal(world.volume("v")?.status?.phase, "Bound");
  world.deleteClaim("default", "c");
  await world.converge();
  assert.deepEqual(await readdir(dir), []);
  assert.equal(world.volume("v")?.status?.phase, "Available");
  assert.equal(world.volume("v")?.spec.claimRef, undefined);
  assert.ok(world.events.some((e) => e.reason === "VolumeRecycled" && e.message === "Volume recycled"));
  // and a new claim can have it
  world.putClaim(pvc("next", "1Gi"));
  await world.converge();
  assert.equal(world.claim("next")?.spec.volumeName, "v");
});

test("Delete removes a hostPath directory under the allowed root and then the PV", async (t) => {
  const root = await mkdtemp(join(tmpdir(), "stowage-delete-"));
  t.after(() => rm(root, { recursive: true, force: true }));
  const dir = join(root, "vol");
  await mkdir(dir);
  await writeFile(join(dir, "data.txt"), "x");
  const world = new World(
    { volumes: [pv("v", "1Gi", { policy: "Delete", hostPath: dir })], claims: [pvc("c", "1Gi")] },
    { hostPathReclaimRoots: [root] },
  );
  await world.converge();
  world.deleteClaim("default", "c");
  await world.converge();
  assert.equal(world.volume("v"), undefined);
  assert.deepEqual(await readdir(root), []);
});

test("Recycle refuses a symlink that leads out of the allowed root", async (t) => {
  const root = await mkdtemp(join(tmpdir(), "stowage-recycle-"));
  const outside = await mkdtemp(join(tmpdir(), "stowage-outside-"));
  t.after(() =>
    Promise.all([rm(root, { recursive: true, force: true }), rm(outside, { recursive: true, force: true })]),
  );
  await writeFile(join(outside, "keep.txt"), "keep");
  const { symlink } = await import("node:fs/promises");
  await symlink(outside, join(root, "link"));
  const world = new World(
    { volumes: [pv("v", "1Gi", { policy: "Recycle", hostPath: join(root, "link") })], claims: [pvc("c", "1Gi")] },
    { hostPathReclaimRoots: [root] },
  );
  await world.converge();
  world.deleteClaim("default", "c");
  await world.converge();
  assert.equal(world.volume("v")?.status?.phase, "Failed");
  assert.deepEqual(await readdir(outside), ["keep.txt"]);
});
