// upstream's name rules and messages (apimachinery/pkg/util/validation) and field error formatting.
import assert from "node:assert/strict";
import test from "node:test";
import { fieldErrorMessage, invalid, invalidMessage, notSupported, required, tooLong } from "../field.js";
import {
  isConfigMapKey,
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  nameIsDNSLabel,
  nameIsDNSSubdomain,
} from "./names.js";

const labelRegexError =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

const cases: [name: string, got: string[], want: string[]][] = [
  ["a simple label is valid", isDNS1123Label("data-0"), []],
  ["labels are lower case", isDNS1123Label("Data"), [labelRegexError]],
  ["labels have no dots", isDNS1123Label("a.b"), ["must not contain dots"]],
  ["labels are at most 63 characters", isDNS1123Label("a".repeat(64)), ["must be no more than 63 characters"]],
  ["subdomains may have dots", isDNS1123Subdomain("pvc-1.example.com"), []],
  [
    "subdomains are at most 253 characters",
    isDNS1123Subdomain("a".repeat(254)),
    ["must be no more than 253 characters"],
  ],
  ["a generateName may end with '-'", nameIsDNSSubdomain("data-", true), []],
  ["a name may not end with '-'", nameIsDNSLabel("data-", false), [labelRegexError]],
  ["qualified names may have a DNS prefix", isQualifiedName("kubernetes.io/pvc-protection"), []],
  ["an empty prefix is refused", isQualifiedName("/x"), ["prefix part must be non-empty"]],
  ["config keys may not be '..'", isConfigMapKey(".."), ["must not be '..'"]],
];
for (const [name, got, want] of cases) test(name, () => assert.deepEqual(got, want));

test("field errors print as upstream's Error()", () => {
  assert.equal(fieldErrorMessage(required("spec.accessModes")), "spec.accessModes: Required value");
  assert.equal(
    fieldErrorMessage(invalid("spec.replicas", -1, "must be greater than or equal to 0")),
    "spec.replicas: Invalid value: -1: must be greater than or equal to 0",
  );
  assert.equal(fieldErrorMessage(invalid("spec.x", null, "bad")), "spec.x: Invalid value: null: bad");
  assert.equal(
    fieldErrorMessage(notSupported("spec.volumeMode", "Raw", ["Block", "Filesystem"])),
    'spec.volumeMode: Unsupported value: "Raw": supported values: "Block", "Filesystem"',
  );
  assert.equal(
    fieldErrorMessage(tooLong("metadata.annotations", 262144)),
    "metadata.annotations: Too long: may not be more than 262144 bytes",
  );
});

test("an Invalid status message names the kind and object, listing distinct errors once", () => {
  const errs = [required("spec.a"), required("spec.a"), required("spec.b")];
  assert.equal(
    invalidMessage("", "Pod", "web", errs),
    'Pod "web" is invalid: [spec.a: Required value, spec.b: Required value]',
  );
  assert.equal(invalidMessage("apps", "StatefulSet", "db", []), 'StatefulSet.apps "db" is invalid');
});
