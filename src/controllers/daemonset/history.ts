// A DaemonSet's revisions (upstream pkg/controller/daemon/update.go constructHistory, getPatch, Snapshot,
// cleanupHistory): ControllerRevisions `<set>-<hash>` whose data replaces spec.template — what
// `kubectl rollout history ds` lists and `kubectl rollout undo ds` applies. A rollback renumbers the old revision to
// the newest; revisions no pod runs beyond revisionHistoryLimit are deleted, oldest first. The revision arithmetic
// is the StatefulSet controller's (statefulset/revision.ts), which upstream shares through pkg/controller/history.
import type { ControllerRevision, DaemonSet } from "../../api/apps/types.js";
import type { Pod } from "../../api/core/types.js";
import { ControllerRevisionHashLabel } from "../../api/wellknown.js";
import type { Client, Lister } from "../../client/index.js";
import { isAlreadyExists, isNotFound } from "../../client/index.js";
import { controllerRef, isControlledBy } from "../common/controllerref.js";
import {
  controllerRevisionResource,
  equalRevision,
  hashRevision,
  nextRevision,
  revisionsToPrune,
  sortRevisions,
  updateRevisionStep,
} from "../statefulset/revision.js";

export interface DaemonSetHistory {
  client: Client;
  revisions: Lister<ControllerRevision>;
}

/** upstream Snapshot: the revision the set's current template describes. */
export function daemonSetRevision(set: DaemonSet, revision: number, collisionCount: number): ControllerRevision {
  const data = { spec: { template: { ...structuredClone(set.spec.template), $patch: "replace" } } };
  const hash = hashRevision(data, collisionCount);
  return {
    apiVersion: "apps/v1",
    kind: "ControllerRevision",
    metadata: {
      name: `${set.metadata.name ?? ""}-${hash}`,
      namespace: set.metadata.namespace,
      labels: { ...set.spec.template.metadata?.labels, [ControllerRevisionHashLabel]: hash },
      ...(set.metadata.annotations ? { annotations: { ...set.metadata.annotations } } : {}),
      ownerReferences: [controllerRef(set)],
    },
    data,
    revision,
  };
}

export const revisionHash = (revision: ControllerRevision): string =>
  revision.metadata.labels?.[ControllerRevisionHashLabel] ?? "";

const revisionsOf = (h: DaemonSetHistory, set: DaemonSet) =>
  sortRevisions(h.revisions.list({ namespace: set.metadata.namespace ?? "" }).filter((r) => isControlledBy(r, set)));

/** upstream constructHistory: the revision of the current template, written (or renumbered) when needed. */
export async function currentRevision(h: DaemonSetHistory, set: DaemonSet): Promise<ControllerRevision> {
  const client = h.client.resource(controllerRevisionResource);
  const sorted = revisionsOf(h, set);
  const collisionCount = set.status?.collisionCount ?? 0;
  const step = updateRevisionStep(sorted, daemonSetRevision(set, nextRevision(sorted), collisionCount));
  if (step.kind === "use") return step.revision;
  if (step.kind === "renumber") return client.update({ ...structuredClone(step.revision), revision: step.to });
  for (let count = collisionCount; ; count++) {
    const wanted = daemonSetRevision(set, step.revision.revision, count);
    try {
      return await client.create(wanted);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      const existing = await client.get(set.metadata.namespace ?? "", wanted.metadata.name ?? "");
      if (equalRevision(existing, wanted)) return existing;
    }
  }
}

/** upstream cleanupHistory: revisions no pod runs, beyond revisionHistoryLimit, oldest first. */
export async function cleanupHistory(h: DaemonSetHistory, set: DaemonSet, current: ControllerRevision, pods: Pod[]) {
  const live = new Set([current.metadata.name ?? ""]);
  for (const pod of pods)
    live.add(`${set.metadata.name ?? ""}-${pod.metadata.labels?.[ControllerRevisionHashLabel] ?? ""}`);
  const client = h.client.resource(controllerRevisionResource);
  for (const revision of revisionsToPrune(revisionsOf(h, set), live, set.spec.revisionHistoryLimit ?? 10)) {
    try {
      await client.delete(revision.metadata.namespace ?? "", revision.metadata.name ?? "", {
        preconditions: { uid: revision.metadata.uid },
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
