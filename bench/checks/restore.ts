// The check behind restore figures: every restored volume holds exactly the bytes its source held at snapshot time.
import { createHash } from "node:crypto";
import { CheckFailed } from "../lib/bench.js";

export const digestOf = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");

export interface Restored {
  name: string;
  /** The digest of what the source held when it was snapshotted. */
  want: string;
  /** The bytes read back from the restored volume, through the pod's mount. */
  got: Uint8Array;
}

/** Throws CheckFailed unless every restore is byte-identical to its source. */
export function checkRestores(restores: readonly Restored[]): void {
  for (const r of restores) {
    if (digestOf(r.got) !== r.want)
      throw new CheckFailed(`restore ${r.name} differs from its source's bytes (${r.got.length} bytes read)`);
  }
}
