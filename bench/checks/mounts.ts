// The check behind node figures: a volume the node says is published is really mounted there, and after teardown
// nothing is left mounted.
import { CheckFailed } from "../lib/bench.js";

/** Throws CheckFailed unless every path in `targets` is among the mount points `mounted` (from /proc/self/mountinfo). */
export function checkMounted(targets: readonly string[], mounted: readonly string[]): void {
  const present = new Set(mounted);
  const missing = targets.filter((t) => !present.has(t));
  if (missing.length > 0)
    throw new CheckFailed(
      `${missing.length} volumes are not mounted where the pod should see them, e.g. ${missing[0]}`,
    );
}

/** Throws CheckFailed if anything is still mounted under the node's root after every pod was deleted. */
export function checkNothingMounted(mounted: readonly string[]): void {
  if (mounted.length > 0) throw new CheckFailed(`${mounted.length} mounts left behind, e.g. ${mounted[0]}`);
}
