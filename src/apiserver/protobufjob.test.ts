// A Job in kubectl's protobuf body: the fields stowage reads come out as the JSON a JSON body gives; a field it does
// not read is fine at Go's zero value and refused with 415 when set, so nothing is stored with part of it dropped.
import assert from "node:assert/strict";
import test from "node:test";
import { StatusError } from "./errors.js";
import { decodeProtobufObject } from "./protobuf.js";

const varint = (n: number): number[] => {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  return [...out, n];
};
const bytes = (field: number, value: number[] | string): number[] => {
  const body = typeof value === "string" ? [...Buffer.from(value)] : value;
  return [...varint(field * 8 + 2), ...varint(body.length), ...body];
};
const int = (field: number, value: number): number[] => [...varint(field * 8), ...varint(value)];

function jobBody(spec: number[]): Uint8Array {
  const raw = [...bytes(1, bytes(1, "backup")), ...bytes(2, spec), ...bytes(3, int(4, 0))];
  const typeMeta = [...bytes(1, "batch/v1"), ...bytes(2, "Job")];
  return new Uint8Array([0x6b, 0x38, 0x73, 0, ...bytes(1, typeMeta), ...bytes(2, raw)]);
}

const container = [...bytes(1, "dump"), ...bytes(2, "busybox"), ...bytes(3, "sh"), ...bytes(3, "-c"), ...int(16, 0)];
const template = bytes(6, [
  ...bytes(1, bytes(11, [...bytes(1, "app"), ...bytes(2, "db")])),
  ...bytes(2, [...bytes(2, container), ...bytes(3, "Never"), ...int(11, 0)]),
]);

test("a Job's protobuf body reads as its JSON: counts, template, containers; zero-valued unread fields are ignored", () => {
  const job = decodeProtobufObject(jobBody([...int(1, 1), ...int(2, 3), ...int(7, 0), ...template]));
  assert.deepEqual(job, {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: "backup" },
    spec: {
      parallelism: 1,
      completions: 3,
      backoffLimit: 0,
      template: {
        metadata: { labels: { app: "db" } },
        spec: { containers: [{ name: "dump", image: "busybox", command: ["sh", "-c"] }], restartPolicy: "Never" },
      },
    },
  });
});

test("a Job's protobuf body with a field stowage does not read is refused with 415, naming the field", () => {
  // JobSpec.successPolicy (16), set.
  assert.throws(
    () => decodeProtobufObject(jobBody([...bytes(16, int(1, 1)), ...template])),
    (err: unknown) =>
      err instanceof StatusError &&
      err.code === 415 &&
      err.message === "protobuf field 16 of JobSpec is not read by stowage; send the object as application/json",
  );
});
