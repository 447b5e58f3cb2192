// The check behind attach figures: each volume has exactly one VolumeAttachment, attached, to the node its pod runs
// on, and the driver published it on that node and nowhere else; after detach, the driver publishes nothing.
import type { VolumeAttachment } from "../../src/api/storage/types.js";
import { CheckFailed } from "../lib/bench.js";

export interface AttachWanted {
  /** PV name → the node its pod runs on. */
  nodeOf: ReadonlyMap<string, string>;
  /** PV name → the driver's volume id. */
  handleOf: ReadonlyMap<string, string>;
}

/** Throws CheckFailed unless every wanted volume is attached once, on its node, and published there only. */
export function checkAttached(
  wanted: AttachWanted,
  attachments: readonly VolumeAttachment[],
  published: ReadonlyMap<string, readonly string[]>,
): void {
  const wrong: string[] = [];
  for (const [pv, node] of wanted.nodeOf) {
    const mine = attachments.filter((a) => a.spec.source.persistentVolumeName === pv);
    const nodes = published.get(wanted.handleOf.get(pv) ?? "") ?? [];
    if (mine.length !== 1 || mine[0].spec.nodeName !== node || mine[0].status?.attached !== true) {
      const where = mine.map((a) => `${a.spec.nodeName}${a.status?.attached ? "" : " (not attached)"}`);
      wrong.push(`${pv}: ${mine.length} attachments [${where.join(", ")}], want 1 on ${node}`);
    } else if (nodes.length !== 1 || nodes[0] !== node) {
      wrong.push(`${pv}: published by the driver on [${nodes.join(", ")}], want ${node}`);
    }
  }
  if (wrong.length > 0)
    throw new CheckFailed(`${wrong.length} volumes wrongly attached, e.g. ${wrong.slice(0, 3).join("; ")}`);
}

/** Throws CheckFailed if the driver still publishes any volume after every attachment went. */
export function checkNothingPublished(published: ReadonlyMap<string, readonly string[]>): void {
  const left = [...published].filter(([, nodes]) => nodes.length > 0);
  if (left.length > 0)
    throw new CheckFailed(`${left.length} volumes still published, e.g. ${left[0][0]} on ${left[0][1].join(", ")}`);
}
