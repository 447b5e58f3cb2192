// The API side of a StatefulSet's revisions (upstream getStatefulSetRevisions, history.realHistory and
// truncateHistory): find or write the update revision, find the current one, and prune old ones. The decisions are
// in revision.ts; this file only talks to the apiserver.
import type { ControllerRevision, StatefulSet } from "../../api/apps/types.js";
import type { Client, Lister, NamespacedResourceClient } from "../../client/index.js";
import { isAlreadyExists, isNotFound } from "../../client/index.js";
import { isControlledBy } from "./identity.js";
import {
  controllerRevisionResource,
  equalRevision,
  newRevision,
  nextRevision,
  revisionsToPrune,
  sortRevisions,
  updateRevisionStep,
} from "./revision.js";

export interface History {
  client: Client;
  revisions: Lister<ControllerRevision>;
}

export interface SetRevisions {
  /** The set's revisions, oldest first, as the cache saw them at the start of the sync. */
  sorted: ControllerRevision[];
  current: ControllerRevision;
  update: ControllerRevision;
  collisionCount: number;
}

const revisionClient = (h: History): NamespacedResourceClient<ControllerRevision> =>
  h.client.resource(controllerRevisionResource);

/** The set's own revisions: in its namespace and controlled by it (by uid), as kubectl rollout history finds them. */
export function listRevisions(h: History, set: StatefulSet): ControllerRevision[] {
  return sortRevisions(
    h.revisions.list({ namespace: set.metadata.namespace ?? "" }).filter((r) => isControlledBy(r, set)),
  );
}

/**
 * upstream realHistory.CreateControllerRevision: a name taken by a revision with other data is a hash collision,
 * so the collision count goes up and the name is hashed again; the same data under the name is our own earlier
 * create that the cache has not shown yet.
 */
async function createRevision(
  h: History,
  set: StatefulSet,
  revision: number,
  collisionCount: number,
): Promise<{ revision: ControllerRevision; collisionCount: number }> {
  const client = revisionClient(h);
  for (let count = collisionCount; ; count++) {
    const wanted = newRevision(set, revision, count);
    try {
      return { revision: await client.create(wanted), collisionCount: count };
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      const existing = await client.get(set.metadata.namespace ?? "", wanted.metadata.name ?? "");
      if (equalRevision(existing, wanted)) return { revision: existing, collisionCount: count };
    }
  }
}

/** upstream getStatefulSetRevisions: the current and update revisions, writing the update revision if new. */
export async function setRevisions(h: History, set: StatefulSet): Promise<SetRevisions> {
  const sorted = listRevisions(h, set);
  let collisionCount = set.status?.collisionCount ?? 0;
  const wanted = newRevision(set, nextRevision(sorted), collisionCount);
  const step = updateRevisionStep(sorted, wanted);
  let update: ControllerRevision;
  if (step.kind === "use") update = step.revision;
  else if (step.kind === "renumber") {
    // A rollback: the old revision becomes the newest (upstream history.UpdateControllerRevision).
    const next = structuredClone(step.revision);
    next.revision = step.to;
    update = await revisionClient(h).update(next); // a conflict throws and the sync retries
  } else {
    ({ revision: update, collisionCount } = await createRevision(h, set, wanted.revision, collisionCount));
  }
  const current = sorted.find((r) => r.metadata.name === set.status?.currentRevision) ?? update;
  return { sorted, current, update, collisionCount };
}

/** upstream truncateHistory: deletes the oldest non-live revisions beyond spec.revisionHistoryLimit. */
export async function truncateHistory(
  h: History,
  set: StatefulSet,
  sorted: readonly ControllerRevision[],
  live: ReadonlySet<string>,
): Promise<void> {
  const client = revisionClient(h);
  for (const revision of revisionsToPrune(sorted, live, set.spec.revisionHistoryLimit ?? 10)) {
    try {
      await client.delete(revision.metadata.namespace ?? "", revision.metadata.name ?? "", {
        preconditions: { uid: revision.metadata.uid },
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
