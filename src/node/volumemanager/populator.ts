// The desired state as the reconciler and the pod worker read it (desired_state_of_world_populator.go): every pod
// on the node that still needs its volumes, each resolved by desiredPod — memoized, because a pass runs every few
// ms and looks at every pod on the node.
import { podVolumeClaims } from "../../api/core/ephemeral.js";
import type { Pod } from "../../api/core/types.js";
import type { Lister } from "../../client/index.js";
import { desiredPod, podNeedsVolumes, type DesiredListers, type DesiredPod } from "./desired.js";

export class DesiredStatePopulator {
  /**
   * desiredPod, reused while the pod and every claim and PV it resolved through are the same cache objects
   * (the pod informer and the object caches replace objects, never change them): recomputing them all was the largest CPU cost per pod with
   * hundreds of pods (bench/node.ts).
   */
  private readonly memo = new WeakMap<Pod, { claimKeys: string[]; inputs: unknown[]; desired: DesiredPod }>();

  constructor(
    private readonly pods: Lister<Pod>,
    private readonly listers: DesiredListers,
  ) {}

  /** The desired state, computed from the caches (cheap: no API calls). */
  desiredPods(): DesiredPod[] {
    const out: DesiredPod[] = [];
    for (const pod of this.pods.list()) {
      if (podNeedsVolumes(pod)) out.push(this.desiredOf(pod));
    }
    return out;
  }

  /** The pod's desired volumes (memoized). Callers must not change the result. */
  desiredOf(pod: Pod): DesiredPod {
    const memo = this.memo.get(pod);
    if (memo && this.sameInputs(memo.claimKeys, memo.inputs)) return memo.desired;
    // The pod's claim keys are computed once per pod object: checking the memo allocates nothing.
    const claimKeys = memo?.claimKeys ?? [];
    if (!memo) {
      for (const { claimName } of podVolumeClaims(pod)) {
        claimKeys.push(`${pod.metadata.namespace ?? "default"}/${claimName}`);
      }
    }
    const { claims, volumes } = this.listers;
    const inputs: unknown[] = [];
    for (const key of claimKeys) {
      const claim = claims.get(key);
      inputs.push(claim, claim?.spec.volumeName ? volumes.get(claim.spec.volumeName) : undefined);
    }
    const desired = desiredPod(pod, this.listers);
    this.memo.set(pod, { claimKeys, inputs, desired });
    return desired;
  }

  /** Whether every claim (and the PV it names) is still the cache object desiredPod resolved through. */
  private sameInputs(claimKeys: string[], inputs: unknown[]): boolean {
    const { claims, volumes } = this.listers;
    for (let i = 0; i < claimKeys.length; i++) {
      const claim = claims.get(claimKeys[i]);
      if (claim !== inputs[2 * i]) return false;
      if ((claim?.spec.volumeName ? volumes.get(claim.spec.volumeName) : undefined) !== inputs[2 * i + 1]) return false;
    }
    return true;
  }
}
