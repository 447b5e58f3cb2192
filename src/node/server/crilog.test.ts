// The CRI log format as the kubelet reads it, and log reading options, case by case.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fixedNanoTimestamp, parseCriLine, tailStart, timestampOf } from "./crilog.js";
import { logRestartCount, parseLogQuery, readContainerLog, type LogOptions } from "./logs.js";
import type { Pod } from "../../api/core/types.js";

const lineCases = [
  {
    name: "a full line keeps its newline",
    line: "2016-10-06T00:17:09.669794202Z stdout F log content 1\n",
    want: { timestamp: "2016-10-06T00:17:09.669794202Z", stream: "stdout", partial: false, content: "log content 1\n" },
  },
  {
    name: "a partial line loses the newline the file needed",
    line: "2016-10-06T00:17:09.669794203Z stderr P log content 2\n",
    want: { timestamp: "2016-10-06T00:17:09.669794203Z", stream: "stderr", partial: true, content: "log content 2" },
  },
  {
    name: "Go's trimmed RFC3339Nano is printed with 9 digits",
    line: "2016-10-06T00:17:09.5Z stdout F x\n",
    want: { timestamp: "2016-10-06T00:17:09.500000000Z", stream: "stdout", partial: false, content: "x\n" },
  },
  {
    name: "tags after the first are ignored",
    line: "2016-10-06T00:17:09Z stdout F:extra y\n",
    want: { timestamp: "2016-10-06T00:17:09.000000000Z", stream: "stdout", partial: false, content: "y\n" },
  },
];
for (const c of lineCases) {
  test(`CRI line: ${c.name}`, () => {
    const record = parseCriLine(Buffer.from(c.line));
    assert.deepEqual(
      {
        timestamp: timestampOf(record),
        stream: record.stream,
        partial: record.partial,
        content: record.content.toString(),
      },
      c.want,
    );
  });
}

test("CRI line: anything else is a parse error", () => {
  for (const bad of ["", "nots a timestamp", "2016-10-06T00:17:09Z stdin F x", "2016-10-06T00:17:09Z stdout"])
    assert.throws(() => parseCriLine(Buffer.from(bad)));
  assert.equal(fixedNanoTimestamp("yesterday"), undefined);
});

test("tail starts at the last N lines", () => {
  const data = Buffer.from("a\nb\nc\n");
  assert.equal(data.subarray(tailStart(data, 2)).toString(), "b\nc\n");
  assert.equal(data.subarray(tailStart(data, 5)).toString(), "a\nb\nc\n");
  assert.equal(data.subarray(tailStart(data, 0)).toString(), "");
});

const read = async (file: string, options: Partial<LogOptions>) => {
  const chunks: Buffer[] = [];
  const all = { follow: false, previous: false, timestamps: false, ...options };
  for await (const chunk of readContainerLog(file, all, () => false, new AbortController().signal)) chunks.push(chunk);
  return Buffer.concat(chunks).toString();
};

test("reading a log: partial records join into one line; since skips older records; a missing file is empty", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "crilog-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, "0.log");
  await writeFile(
    file,
    "2026-01-01T00:00:00Z stdout P hel\n2026-01-01T00:00:00Z stdout F lo\nnot a record\n2026-01-01T00:00:05Z stderr F late\n",
  );
  assert.equal(await read(file, {}), "hello\nlate\n");
  assert.equal(await read(file, { since: Date.parse("2026-01-01T00:00:01Z") }), "late\n");
  assert.equal(await read(file, { timestamps: true, tailLines: 1 }), "2026-01-01T00:00:05.000000000Z late\n");
  assert.equal(await read(join(dir, "none.log"), {}), "");
});

test("the kubelet's query: legacy tail, Go booleans, and ValidatePodLogOptions' refusals", () => {
  assert.equal(parseLogQuery(new URLSearchParams("tail=3")).tailLines, 3);
  assert.equal(parseLogQuery(new URLSearchParams("tail=all&tailLines=3")).tailLines, undefined);
  assert.equal(parseLogQuery(new URLSearchParams("follow=1&timestamps=True")).follow, true);
  assert.equal(parseLogQuery(new URLSearchParams("sinceSeconds=10"), 100_000).since, 90_000);
  for (const [query, code] of [
    ["follow=maybe", 400],
    ["tailLines=x", 400],
    ["tailLines=-1", 422],
    ["limitBytes=0", 422],
    ["sinceSeconds=0", 422],
    ["sinceSeconds=1&sinceTime=2026-01-01T00:00:00Z", 422],
  ] as const) {
    assert.throws(() => parseLogQuery(new URLSearchParams(query)), { code }, query);
  }
});

const pod = (state: object, lastState: object = {}, restartCount = 0): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "p" },
  spec: { containers: [{ name: "c", image: "i" }] },
  status: { containerStatuses: [{ name: "c", ready: false, restartCount, image: "i", imageID: "", state, lastState }] },
});

test("which run's log is read, and the kubelet's messages when there is none", () => {
  assert.equal(logRestartCount(pod({ running: {} }, {}, 2), "c", false), 2);
  assert.equal(logRestartCount(pod({ running: {} }, { terminated: { exitCode: 1 } }, 2), "c", true), 1);
  // Waiting to be restarted: the last run is the current count's, for the current logs and for --previous.
  const backingOff = pod({ waiting: { reason: "CrashLoopBackOff" } }, { terminated: { exitCode: 1 } }, 0);
  assert.equal(logRestartCount(backingOff, "c", false), 0);
  assert.equal(logRestartCount(backingOff, "c", true), 0);
  assert.throws(() => logRestartCount(pod({ running: {} }), "c", true), {
    message: 'previous terminated container "c" in pod "p" not found',
  });
  assert.throws(() => logRestartCount(pod({ waiting: { reason: "ContainerCreating" } }), "c", false), {
    message: 'container "c" in pod "p" is waiting to start: ContainerCreating',
  });
  assert.throws(() => logRestartCount(pod({ waiting: { reason: "ImagePullBackOff" } }), "c", false), {
    message: 'container "c" in pod "p" is waiting to start: trying and failing to pull image',
  });
  assert.throws(() => logRestartCount(pod({ running: {} }), "other", false), {
    message: 'container "other" in pod "p" is not available',
  });
});
