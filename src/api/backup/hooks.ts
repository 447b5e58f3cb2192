// A Backup's spec.hooks checked as Velero's CRD and its hook handler check them: every hook names a command, its
// onError is Fail or Continue, its timeout a Go duration; the pods they are for are chosen as the backup chooses.
import { invalid, notSupported, required, type FieldError, type FieldPath } from "../field.js";
import { validateLabelSelector } from "../validation/meta.js";
import { isDNS1123Label } from "../validation/names.js";
import type { BackupHooks, BackupResourceHook } from "./types.js";

/** parseGoDuration is common.ts's; passed in so that this file does not import its importer. */
type DurationParser = (text: string) => number | undefined;

function validateHookList(hooks: BackupResourceHook[] | undefined, path: FieldPath, parse: DurationParser) {
  const errs: FieldError[] = [];
  (hooks ?? []).forEach((hook, i) => {
    const exec = path.index(i).child("exec");
    if (!hook?.exec) return errs.push(required(exec));
    if (!hook.exec.command?.length) errs.push(required(exec.child("command")));
    if (hook.exec.onError !== undefined && !["Fail", "Continue"].includes(hook.exec.onError))
      errs.push(notSupported(exec.child("onError"), hook.exec.onError, ["Continue", "Fail"]));
    if (hook.exec.timeout !== undefined && parse(hook.exec.timeout) === undefined)
      errs.push(invalid(exec.child("timeout"), hook.exec.timeout, "must be a duration such as 30s"));
  });
  return errs;
}

export function validateBackupHooks(hooks: BackupHooks | undefined, path: FieldPath, parse: DurationParser) {
  const errs: FieldError[] = [];
  (hooks?.resources ?? []).forEach((spec, i) => {
    const at = path.child("resources").index(i);
    if (!spec.name) errs.push(required(at.child("name")));
    for (const [field, names] of [
      ["includedNamespaces", spec.includedNamespaces],
      ["excludedNamespaces", spec.excludedNamespaces],
    ] as const) {
      (names ?? []).forEach((name, j) => {
        if (name !== "*")
          for (const msg of isDNS1123Label(name)) errs.push(invalid(at.child(field).index(j), name, msg));
      });
    }
    errs.push(...validateLabelSelector(spec.labelSelector, at.child("labelSelector")));
    errs.push(...validateHookList(spec.pre, at.child("pre"), parse));
    errs.push(...validateHookList(spec.post, at.child("post"), parse));
  });
  return errs;
}
