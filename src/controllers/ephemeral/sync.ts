// The ephemeral volume controller's decision for one pod (upstream pkg/controller/volume/ephemeral syncHandler and
// handleVolume): each generic ephemeral volume gets the claim "<pod>-<volume>" from its volumeClaimTemplate, owned
// and controlled by the pod, so the garbage collector removes it with the pod. A claim of that name that the pod
// does not own is never taken over: the pod gets upstream's FailedBinding event and waits.
import type { PersistentVolumeClaim, Pod } from "../../api/core/types.js";
import { podVolumeClaims, volumeIsForPod } from "../../api/core/ephemeral.js";
import { EventFailedBinding, EventTypeWarning } from "../../api/wellknown.js";
import type { Client, EventRecorder, Lister } from "../../client/index.js";
import { isAlreadyExists } from "../../client/index.js";

export interface EphemeralSync {
  client: Client;
  pods: Lister<Pod>;
  claims: Lister<PersistentVolumeClaim>;
  recorder: EventRecorder;
}

/** The claim a generic ephemeral volume's template describes, owned by the pod. */
export function claimFor(pod: Pod, claimName: string, template: NonNullable<Pod["spec"]["volumes"]>[number]) {
  const source = template.ephemeral?.volumeClaimTemplate;
  const claim: PersistentVolumeClaim = {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: {
      name: claimName,
      namespace: pod.metadata.namespace,
      ownerReferences: [
        {
          apiVersion: "v1",
          kind: "Pod",
          name: pod.metadata.name ?? "",
          uid: pod.metadata.uid ?? "",
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
      ...(source?.metadata?.labels ? { labels: source.metadata.labels } : {}),
      ...(source?.metadata?.annotations ? { annotations: source.metadata.annotations } : {}),
    },
    spec: structuredClone(source?.spec ?? {}),
  };
  return claim;
}

/** Makes the missing claims of one pod's generic ephemeral volumes. Safe to run any number of times. */
export async function syncPod(ctx: EphemeralSync, key: string): Promise<void> {
  const pod = ctx.pods.get(key);
  // A pod being deleted needs no new claims (upstream ignores it too).
  if (!pod || pod.metadata.deletionTimestamp) return;
  for (const { volume, claimName, ephemeral } of podVolumeClaims(pod)) {
    if (!ephemeral) continue;
    const existing = ctx.claims.get(`${pod.metadata.namespace ?? ""}/${claimName}`);
    const problem = existing
      ? volumeIsForPod(pod, existing)
      : await create(ctx, claimFor(pod, claimName, volume)).catch(
          (err: unknown) => `create PVC ${claimName}: ${String(err)}`,
        );
    if (problem) {
      ctx.recorder.event(pod, EventTypeWarning, EventFailedBinding, `ephemeral volume ${volume.name}: ${problem}`);
      // Thrown so the queue retries with backoff: the conflicting claim may be deleted by its owner.
      throw new Error(`pod ${key}, ephemeral volume ${volume.name}: ${problem}`);
    }
  }
}

/** Creates the claim; one made a moment ago (the cache has not seen it yet) is checked on the next sync. */
async function create(ctx: EphemeralSync, claim: PersistentVolumeClaim): Promise<string | undefined> {
  try {
    await ctx.client.persistentVolumeClaims.create(claim);
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
  return undefined;
}
