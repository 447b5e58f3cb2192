// Rows are upstream apimachinery's quantity_test.go cases (TestQuantityParse, TestQuantityString,
// TestQuantityParseEmit) and what `kubectl get pv` prints for the seeds' sizes.
import assert from "node:assert/strict";
import test from "node:test";
import { Quantity, QuantityError, errFormatWrong, errSuffix } from "./quantity.js";

const printed: [input: string, canonical: string][] = [
  ["5Gi", "5Gi"],
  ["1Gi", "1Gi"],
  ["100M", "100M"],
  ["500m", "500m"],
  ["1.5Gi", "1536Mi"],
  ["1.5Ti", "1536Gi"],
  ["1024Mi", "1Gi"],
  ["1000M", "1G"],
  ["1000", "1k"],
  ["1", "1"],
  ["0", "0"],
  ["0Gi", "0"],
  ["0.5", "500m"],
  ["1.5", "1500m"],
  ["0.5Gi", "512Mi"],
  ["1.1Gi", "1181116006400m"],
  ["0.5Ki", "512"],
  [".001Ki", "1024m"],
  [".000001Ki", "1024u"],
  [".000000001Ki", "1024n"],
  [".000000000001Ki", "2n"],
  ["1e3", "1e3"],
  ["1.2e3", "1200"],
  ["12e4", "120e3"],
  ["1E-3", "1E-3"],
  ["1.5e-3", "1500e-6"],
  ["3.001n", "4n"],
  ["0.00000012345", "124n"],
  // upstream keeps the text as given when its digits already sit on a multiple-of-3 exponent
  ["100.035k", "100.035k"],
  ["10.035M", "10.035M"],
  ["1.50k", "1500"],
  ["1000E", "1e21"],
  ["12E", "12E"],
  ["9Ei", "9223372036854775807"],
  ["300Mi", "300Mi"],
  ["307200Ki", "300Mi"],
  ["1025024Mi", "1001Gi"],
  ["5000m", "5"],
  ["1080000000n", "1080m"],
  ["-1Gi", "-1Gi"],
  ["-1024Mi", "-1Gi"],
  ["-1.5", "-1500m"],
  ["1.", "1."],
  ["1.G", "1.G"],
  ["+5Gi", "+5Gi"],
  ["1024Ki", "1Mi"],
  [".", "0"],
];

for (const [input, canonical] of printed) {
  test(`quantity "${input}" prints as "${canonical}", as Kubernetes prints it`, () => {
    assert.equal(Quantity.parse(input).toString(), canonical);
    assert.equal(JSON.stringify({ q: Quantity.parse(input) }), JSON.stringify({ q: canonical }));
  });
}

const values: [input: string, bytes: bigint][] = [
  ["5Gi", 5n * 1024n ** 3n],
  ["100M", 100_000_000n],
  ["1.5Gi", 1610612736n],
  ["500m", 1n], // Value() rounds up
  ["3Ei", 3n * 1024n ** 6n],
  ["1Ti", 1024n ** 4n],
];
for (const [input, bytes] of values) {
  test(`quantity "${input}" is ${bytes} units`, () => assert.equal(Quantity.parse(input).value, bytes));
}

test("milli values are exact and round up", () => {
  assert.equal(Quantity.parse("500m").milli, 500n);
  assert.equal(Quantity.parse("1.5").milli, 1500n);
  assert.equal(Quantity.parse("1n").milli, 1n);
});

const invalid: [input: string, message: string][] = [
  ["", errFormatWrong],
  ["1.1.M", errFormatWrong],
  ["1+1.0M", errFormatWrong],
  ["aoeu", errFormatWrong],
  [" 1", errFormatWrong],
  ["1 ", errFormatWrong],
  ["5 Gi", errFormatWrong],
  ["5GB", errFormatWrong],
  ["-3.01e-", errSuffix],
  ["0.1mi", errSuffix],
  ["0.1am", errFormatWrong],
  [".5i", errSuffix],
  ["1i", errSuffix],
  ["5K", errSuffix],
  ["5Gb", errFormatWrong],
  ["1e4294967297", errSuffix],
];
for (const [input, message] of invalid) {
  test(`quantity "${input}" is refused with upstream's message`, () => {
    assert.throws(
      () => Quantity.parse(input, "spec.resources.requests[storage]"),
      (err: unknown) => {
        assert.ok(err instanceof QuantityError);
        assert.equal(err.message, message);
        assert.deepEqual(err.fieldError, {
          type: "FieldValueInvalid",
          field: "spec.resources.requests[storage]",
          badValue: input,
          detail: message,
        });
        return true;
      },
    );
  });
}

test("upstream's regular expression text is quoted in the format error", () => {
  assert.equal(
    errFormatWrong,
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
  );
});

const comparisons: [a: string, b: string, want: -1 | 0 | 1][] = [
  ["0", "0", 0],
  ["100m", "50m", 1],
  ["50m", "100m", -1],
  ["10000T", "100Gi", 1],
  ["1Gi", "1024Mi", 0],
  ["1G", "1Gi", -1],
  ["5Gi", "5G", 1],
];
for (const [a, b, want] of comparisons) {
  test(`"${a}" compared with "${b}" is ${want}`, () => assert.equal(Quantity.parse(a).cmp(Quantity.parse(b)), want));
}

test("adding keeps the suffix of the non-zero side, as upstream", () => {
  for (const text of ["100m", "1Gi"]) {
    assert.equal(Quantity.parse(text).add(Quantity.parse("0")).toString(), text);
    assert.equal(Quantity.parse("0").add(Quantity.parse(text)).toString(), text);
    assert.equal(Quantity.parse("0").sub(Quantity.parse(text)).toString(), `-${text}`);
  }
  assert.equal(Quantity.parse("1Gi").add(Quantity.parse("512Mi")).toString(), "1536Mi");
  assert.equal(Quantity.parse("2Gi").sub(Quantity.parse("1Gi")).toString(), "1Gi");
});

test("quantities built from byte counts print as the CSI sidecars' PVs do", () => {
  assert.equal(Quantity.fromValue(1073741824n).toString(), "1Gi");
  assert.equal(Quantity.fromValue(5n * 1024n ** 3n).toString(), "5Gi");
  assert.equal(Quantity.fromValue(1_000_000_000n).toString(), "1000000000");
  assert.equal(Quantity.fromValue(2000n).toString(), "2000");
  assert.equal(Quantity.fromValue(100n, "DecimalSI").toString(), "100");
  assert.equal(Quantity.fromValue(1n << 70n).toString(), "1180591620717411303424");
  assert.equal(
    Quantity.fromMilli(901n * 10n)
      .neg()
      .toString(),
    "-9010m",
  );
});
