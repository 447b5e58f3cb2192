import assert from "node:assert/strict";
import { test } from "node:test";
import type { Backup } from "../api/backup/types.js";
import type { Pod } from "../api/core/types.js";
import { fromAnnotation, HookError, hooksFor } from "./hooks.js";

const pod = (annotations: Record<string, string> = {}, labels: Record<string, string> = {}): Pod =>
  ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "db", namespace: "shop", annotations, labels },
    spec: { containers: [{ name: "main" }, { name: "sidecar" }] },
  }) as Pod;

const backup = (resources: NonNullable<Backup["spec"]["hooks"]>["resources"] = []): Backup => ({
  apiVersion: "backup.stowage.dev/v1",
  kind: "Backup",
  metadata: { name: "b", namespace: "stowage-backup" },
  spec: { hooks: { resources } },
});

const freeze = { exec: { command: ["fsfreeze", "-f", "/data"], container: "sidecar", onError: "Continue" as const } };

const cases = [
  {
    name: "a JSON array annotation is the command's words; defaults: first container, Fail, 30s",
    pod: pod({ "pre.hook.backup.velero.io/command": '["sh", "-c", "sync"]' }),
    want: [
      { name: fromAnnotation, container: "main", command: ["sh", "-c", "sync"], onError: "Fail", timeoutMs: 30000 },
    ],
  },
  {
    name: "a plain annotation is one word, run without a shell (as Velero)",
    pod: pod({ "pre.hook.backup.stowage.dev/command": "/bin/flush", "pre.hook.backup.stowage.dev/timeout": "1m" }),
    want: [{ name: fromAnnotation, container: "main", command: ["/bin/flush"], onError: "Fail", timeoutMs: 60000 }],
  },
  {
    name: "stowage's annotations win over Velero's",
    pod: pod({
      "pre.hook.backup.velero.io/command": "/velero",
      "pre.hook.backup.stowage.dev/command": "/stowage",
      "pre.hook.backup.stowage.dev/on-error": "Continue",
    }),
    want: [{ name: fromAnnotation, container: "main", command: ["/stowage"], onError: "Continue", timeoutMs: 30000 }],
  },
  {
    name: "without annotations, the spec's hooks that select the pod",
    pod: pod({}, { app: "db" }),
    backup: backup([
      { name: "freeze", includedNamespaces: ["shop"], labelSelector: { matchLabels: { app: "db" } }, pre: [freeze] },
      { name: "elsewhere", includedNamespaces: ["other"], pre: [freeze] },
      { name: "web", labelSelector: { matchLabels: { app: "web" } }, pre: [freeze] },
    ]),
    want: [
      {
        name: "freeze",
        container: "sidecar",
        command: ["fsfreeze", "-f", "/data"],
        onError: "Continue",
        timeoutMs: 30000,
      },
    ],
  },
  {
    name: "a pod's annotations replace the spec's hooks for it (as Velero)",
    pod: pod({ "pre.hook.backup.velero.io/command": "/own" }),
    backup: backup([{ name: "freeze", pre: [freeze] }]),
    want: [{ name: fromAnnotation, container: "main", command: ["/own"], onError: "Fail", timeoutMs: 30000 }],
  },
  { name: "no hooks, none run", pod: pod(), want: [] },
];

for (const c of cases) test(c.name, () => assert.deepEqual(hooksFor(c.backup ?? backup(), c.pod, "pre"), c.want));

test("an annotation that is not a command, an on-error or a timeout fails the backup and names the annotation", () => {
  for (const [key, value] of [
    ["pre.hook.backup.velero.io/command", "[not json"],
    ["pre.hook.backup.velero.io/on-error", "Ignore"],
    ["pre.hook.backup.velero.io/timeout", "soon"],
  ]) {
    const annotations = { "pre.hook.backup.velero.io/command": "/bin/true", [key]: value };
    assert.throws(
      () => hooksFor(backup(), pod(annotations), "pre"),
      (err: Error) => {
        assert.ok(err instanceof HookError);
        assert.match(err.message, new RegExp(`annotation ${key.replace(/\./g, "\\.")} of pod shop/db`));
        return true;
      },
    );
  }
});
