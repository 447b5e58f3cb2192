// What the backup.stowage.dev kinds share: the group, Velero's Go-duration TTL, the backup spec's checks, and
// columns rendered as apiextensions renders a CRD's additionalPrinterColumns (Velero's objects are CRDs).
import { FieldPath, invalid } from "../field.js";
import type { FieldError } from "../field.js";
import { validateLabelSelector } from "../validation/meta.js";
import { isDNS1123Label } from "../validation/names.js";
import type { BackupSpec } from "./types.js";
import { validateBackupHooks } from "./hooks.js";

export const backupGroup = "backup.stowage.dev";
export const backupApiVersion = "backup.stowage.dev/v1";

/** Velero's default TTL: 30 days. */
export const defaultTtl = "720h0m0s";

const durationPart = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g;
const durationUnitsMs: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** A Go duration ("720h", "1h30m0s") in milliseconds; undefined when it is not one. */
export function parseGoDuration(text: string): number | undefined {
  if (text === "0") return 0;
  if (!/^((\d+(\.\d+)?)(ns|us|µs|ms|s|m|h))+$/.test(text)) return undefined;
  let total = 0;
  for (const match of text.matchAll(durationPart)) total += Number(match[1]) * durationUnitsMs[match[2]];
  return total;
}

function validateNamespaceList(names: string[] | undefined, path: FieldPath): FieldError[] {
  return (names ?? []).flatMap((name, i) =>
    name === "*" ? [] : isDNS1123Label(name).map((msg) => invalid(path.index(i), name, msg)),
  );
}

export function validateBackupSpec(spec: BackupSpec | undefined, path: FieldPath): FieldError[] {
  if (!spec) return [];
  const errs = [
    ...validateNamespaceList(spec.includedNamespaces, path.child("includedNamespaces")),
    ...validateNamespaceList(spec.excludedNamespaces, path.child("excludedNamespaces")),
    ...validateLabelSelector(spec.labelSelector, path.child("labelSelector")),
    ...validateBackupHooks(spec.hooks, path.child("hooks"), parseGoDuration),
  ];
  if (spec.ttl !== undefined && parseGoDuration(spec.ttl) === undefined) {
    errs.push(invalid(path.child("ttl"), spec.ttl, "must be a duration such as 720h0m0s"));
  }
  return errs;
}

export const root = (field: string) => FieldPath.root(field);
