// A malformed quantity is a decode error upstream (400), not a validation error.
import assert from "node:assert/strict";
import test from "node:test";
import { decodeErrorMessage, quantityDecodeError } from "./decode.js";

const wrongFormat = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

const cases: [name: string, kind: string, object: unknown, want: string | undefined][] = [
  [
    "a well-formed claim decodes",
    "PersistentVolumeClaim",
    { spec: { resources: { requests: { storage: "5Gi" } } } },
    undefined,
  ],
  [
    "a claim asking for 5GB does not",
    "PersistentVolumeClaim",
    { spec: { resources: { requests: { storage: "5GB" } } } },
    wrongFormat,
  ],
  [
    "a PV capacity with a bad suffix does not",
    "PersistentVolume",
    { spec: { capacity: { storage: "5K" } } },
    "unable to parse quantity's suffix",
  ],
  [
    "a pod's emptyDir sizeLimit is a quantity",
    "Pod",
    { spec: { containers: [], volumes: [{ name: "v", emptyDir: { sizeLimit: "lots" } }] } },
    wrongFormat,
  ],
  ["a number is accepted as a quantity", "Node", { status: { capacity: { cpu: 4 } } }, undefined],
  [
    "a StatefulSet claim template is checked",
    "StatefulSet",
    { spec: { volumeClaimTemplates: [{ spec: { resources: { requests: { storage: "1 Gi" } } } }] } },
    wrongFormat,
  ],
  ["kinds without quantities always decode", "ConfigMap", { data: { a: "5GB" } }, undefined],
];
for (const [name, kind, object, want] of cases) test(name, () => assert.equal(quantityDecodeError(kind, object), want));

test("the 400 message reads as upstream's", () => {
  assert.equal(
    decodeErrorMessage("PersistentVolumeClaim", "v1", wrongFormat),
    `PersistentVolumeClaim in version "v1" cannot be handled as a PersistentVolumeClaim: ${wrongFormat}`,
  );
});
