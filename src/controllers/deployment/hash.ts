// A Deployment's pod-template-hash (upstream pkg/controller/controller_utils.go ComputeHash): a 32-bit FNV-1a of the
// template and the collision count, written in the alphabet of rand.SafeEncodeString so it can never spell a word.
// Upstream hashes Go's spew dump of the struct; we hash the template's canonical JSON, so the values differ from a
// kubelet cluster's but have the same shape and the same property: one template, one hash.
import type { PodTemplateSpec } from "../../api/core/types.js";
import { deepEqual } from "../../api/validation/meta.js";

export const DefaultDeploymentUniqueLabelKey = "pod-template-hash";

const alphanums = "bcdfghjklmnpqrstvwxz2456789";

/** JSON with object keys sorted, so equal templates give equal text. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

function fnv32a(bytes: Uint8Array): number {
  let hash = 0x811c9dc5;
  for (const byte of bytes) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** upstream rand.SafeEncodeString: each character mapped into a vowel-free alphabet. */
const safeEncode = (text: string) => [...text].map((c) => alphanums[c.charCodeAt(0) % alphanums.length]).join("");

export function computeHash(template: PodTemplateSpec, collisionCount: number | undefined): string {
  let text = canonical(zeroless(template));
  // upstream adds the count only when set, so a template's first hash never changes.
  if (collisionCount !== undefined) text += String(collisionCount);
  return safeEncode(String(fnv32a(new TextEncoder().encode(text))));
}

/**
 * A JSON value as Go would decode it before comparing: null, {} and [] are the zero value, the same as absent
 * (upstream compares decoded structs with equality.Semantic, where an empty and a nil map are equal). kubectl's
 * `rollout undo` sends a template with `creationTimestamp: null` and `resources: {}` that must still match its set.
 */
function zeroless(value: unknown): unknown {
  if (Array.isArray(value)) return value.length ? value.map(zeroless) : undefined;
  if (value === null) return undefined;
  if (typeof value !== "object") return value;
  const entries = Object.entries(value as Record<string, unknown>)
    .map(([k, v]) => [k, zeroless(v)] as const)
    .filter(([, v]) => v !== undefined);
  return entries.length ? Object.fromEntries(entries) : undefined;
}

/** The template without the pod-template-hash label (upstream EqualIgnoreHash compares these). */
function withoutHash(template: PodTemplateSpec): unknown {
  const copy = structuredClone(template);
  if (copy.metadata?.labels) delete copy.metadata.labels[DefaultDeploymentUniqueLabelKey];
  return zeroless(copy);
}

export const equalIgnoreHash = (a: PodTemplateSpec, b: PodTemplateSpec): boolean =>
  deepEqual(withoutHash(a), withoutHash(b));
