import assert from "node:assert/strict";
import { test } from "node:test";
import { startStowage } from "../../e2e/stowage.js";

const location = `apiVersion: backup.stowage.dev/v1
kind: BackupStorageLocation
metadata: {name: local, namespace: default}
spec:
  provider: restic
  objectStorage: {bucket: /var/backups/stowage}
  credential: {name: repository, key: password}
  default: true
---
apiVersion: backup.stowage.dev/v1
kind: Backup
metadata: {name: shop-1, namespace: default}
spec: {includedNamespaces: [shop], storageLocation: local}
---
apiVersion: backup.stowage.dev/v1
kind: Restore
metadata: {name: shop-1-copy, namespace: default}
spec: {backupName: shop-1, namespaceMapping: {shop: shop-copy}}
---
apiVersion: backup.stowage.dev/v1
kind: Schedule
metadata: {name: nightly, namespace: default}
spec: {schedule: "0 1 * * *", template: {includedNamespaces: [shop], ttl: 168h}}
`;

test("kubectl creates the backup kinds with Velero's defaults and lists them with Velero's columns", async (t) => {
  const s = await startStowage(t);
  await s.kubectlResult(["apply", "-f", "-"], { input: location }).then((r) => assert.equal(r.code, 0, r.stderr));
  assert.match(
    await s.kubectl("get", "bsl"),
    /^NAME\s+PHASE\s+LAST VALIDATED\s+AGE\s+DEFAULT\nlocal\s+\s+\d+s\s+true/m,
  );
  assert.match(
    await s.kubectl("get", "backups"),
    /^NAME\s+STATUS\s+ERRORS\s+WARNINGS\s+ITEMS\s+BYTES\s+EXPIRES\s+STORAGE LOCATION\s+AGE\nshop-1\s+New\s+.*local/m,
  );
  assert.match(await s.kubectl("get", "restores"), /^NAME\s+BACKUP\s+STATUS.*\nshop-1-copy\s+shop-1\s+New/m);
  assert.match(
    await s.kubectl("get", "schedules"),
    /^NAME\s+STATUS\s+SCHEDULE\s+LASTBACKUP\s+AGE\s+PAUSED\nnightly\s+New\s+0 1 \* \* \*/m,
  );
  assert.equal(
    await s.kubectl("get", "backup", "shop-1", "-o", "jsonpath={.spec.ttl} {.spec.snapshotVolumes}"),
    "720h0m0s true",
  );
});

test("bad backup objects are refused with upstream-shaped Invalid errors that say what to fix", async (t) => {
  const s = await startStowage(t);
  const cases = [
    {
      yaml: "kind: BackupStorageLocation\nmetadata: {name: x}\nspec: {provider: aws, objectStorage: {bucket: b}}",
      want: /The BackupStorageLocation "x" is invalid: \n\* spec.provider: Unsupported value: "aws": supported values: "restic"\n\* spec.credential.name: Required value: the Secret holding the repository password\n\* spec.credential.key: Required value/,
    },
    {
      yaml: "kind: Backup\nmetadata: {name: x}\nspec: {ttl: 30days, includedNamespaces: [Shop]}",
      want: /spec.includedNamespaces\[0\]: Invalid value: "Shop"[\s\S]*spec.ttl: Invalid value: "30days": must be a duration such as 720h0m0s/,
    },
    {
      yaml:
        "kind: Backup\nmetadata: {name: x}\nspec: {hooks: {resources: [{name: freeze, pre: [{exec: {command: [], " +
        "onError: Ignore, timeout: soon}}]}]}}",
      want: /spec.hooks.resources\[0\].pre\[0\].exec.command: Required value\n\* spec.hooks.resources\[0\].pre\[0\].exec.onError: Unsupported value: "Ignore": supported values: "Continue", "Fail"\n\* spec.hooks.resources\[0\].pre\[0\].exec.timeout: Invalid value: "soon": must be a duration such as 30s/,
    },
    {
      yaml: "kind: Restore\nmetadata: {name: x}\nspec: {}",
      want: /spec.backupName: Required value: either spec.backupName or spec.scheduleName/,
    },
    {
      yaml: "kind: Schedule\nmetadata: {name: x}\nspec: {schedule: 'every day'}",
      want: /spec.schedule: Invalid value: "every day": expected exactly 5 fields/,
    },
  ];
  for (const c of cases) {
    const r = await s.kubectlResult(["create", "-n", "default", "-f", "-"], {
      input: `apiVersion: backup.stowage.dev/v1\n${c.yaml}\n`,
    });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, c.want);
  }
  await s.kubectlResult(["create", "-f", "-"], { input: location.split("---")[1] });
  const changed = await s.kubectlResult(["patch", "backup", "shop-1", "--type=merge", "-p", '{"spec":{"ttl":"1h"}}']);
  assert.match(changed.stderr, /spec: Forbidden: a backup's spec cannot be changed once made/);
});
