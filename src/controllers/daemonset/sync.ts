// The DaemonSet controller's sync (upstream pkg/controller/daemon syncDaemonSet): claim the pods its selector matches,
// start and stop daemon pods node by node as decideDaemonSet says, write status.
import type { DaemonSet } from "../../api/apps/types.js";
import type { Node, Pod } from "../../api/core/types.js";
import { labelMatcherFromSelector } from "../../api/selectors/labels.js";
import { deepEqual } from "../../api/validation/meta.js";
import {
  ControllerRevisionHashLabel,
  EventFailedCreate,
  EventSuccessfulCreate,
  EventSuccessfulDelete,
} from "../../api/wellknown.js";
import type { Client, EventRecorder, Lister } from "../../client/index.js";
import { isNotFound } from "../../client/index.js";
import { claimObjects, controllerRef } from "../common/controllerref.js";
import type { Expectations } from "../common/expectations.js";
import { decideDaemonSet } from "./decide.js";
import { withDaemonTolerations } from "./predicates.js";
import type { DaemonSetHistory } from "./history.js";
import { cleanupHistory, currentRevision, revisionHash } from "./history.js";

export interface DaemonSetSync extends DaemonSetHistory {
  client: Client;
  daemonSets: Lister<DaemonSet>;
  nodes: Lister<Node>;
  pods: Lister<Pod>;
  recorder: EventRecorder;
  expectations: Expectations;
  now?: () => Date;
}

/**
 * A daemon pod for one node (upstream's template with ReplaceDaemonSetPodNodeNameNodeAffinity): required node
 * affinity to exactly that node by name, so the scheduler binds it there, and the daemon tolerations.
 */
export function daemonPod(set: DaemonSet, node: string, hash: string): Pod {
  const template = withDaemonTolerations(set.spec.template);
  const spec = template.spec;
  spec.affinity = {
    ...spec.affinity,
    nodeAffinity: {
      ...spec.affinity?.nodeAffinity,
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{ matchFields: [{ key: "metadata.name", operator: "In", values: [node] }] }],
      },
    },
  };
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      generateName: `${set.metadata.name ?? ""}-`,
      namespace: set.metadata.namespace,
      labels: { ...template.metadata?.labels, [ControllerRevisionHashLabel]: hash },
      annotations: template.metadata?.annotations,
      ownerReferences: [controllerRef(set)],
    },
    spec,
  };
}

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Moves one DaemonSet one round; safe to run any number of times. */
export async function syncDaemonSet(ctx: DaemonSetSync, key: string): Promise<void> {
  const set = ctx.daemonSets.get(key);
  if (!set) {
    ctx.expectations.forget(key);
    return;
  }
  const namespace = set.metadata.namespace ?? "";
  const pods = await claimObjects(
    set,
    labelMatcherFromSelector(set.spec.selector),
    ctx.pods.list({ namespace }),
    (pod, patch) => ctx.client.pods.patch(namespace, pod.metadata.name ?? "", "merge", patch),
  );
  const revision = set.metadata.deletionTimestamp ? undefined : await currentRevision(ctx, set);
  const hash = revision ? revisionHash(revision) : "";
  const decision = decideDaemonSet(set, ctx.nodes.list(), pods, hash, ctx.now?.() ?? new Date());
  if (!set.metadata.deletionTimestamp && ctx.expectations.satisfied(key)) {
    ctx.expectations.expectDeletions(
      key,
      decision.remove.map((pod) => pod.metadata.uid ?? ""),
    );
    for (const pod of decision.remove) {
      try {
        await ctx.client.pods.delete(namespace, pod.metadata.name ?? "", { preconditions: { uid: pod.metadata.uid } });
        ctx.recorder.event(set, "Normal", EventSuccessfulDelete, `Deleted pod: ${pod.metadata.name ?? ""}`);
      } catch (err) {
        ctx.expectations.deletionObserved(key, pod.metadata.uid ?? "");
        if (!isNotFound(err)) throw err;
      }
    }
    if (decision.create.length) {
      ctx.expectations.expectCreations(key, decision.create.length);
      for (const node of decision.create) {
        try {
          const pod = await ctx.client.pods.create(daemonPod(set, node, hash));
          ctx.recorder.event(set, "Normal", EventSuccessfulCreate, `Created pod: ${pod.metadata.name ?? ""}`);
        } catch (err) {
          ctx.expectations.creationObserved(key);
          ctx.recorder.event(set, "Warning", EventFailedCreate, `Error creating: ${errorText(err)}`);
          throw err;
        }
      }
    }
  }
  if (revision) await cleanupHistory(ctx, set, revision, pods);
  if (deepEqual(decision.status, set.status)) return;
  try {
    await ctx.client.daemonSets.updateStatus({ ...set, status: decision.status });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}
