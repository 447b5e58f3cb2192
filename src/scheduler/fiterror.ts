// The FailedScheduling message, as upstream's FitError.Error() (pkg/scheduler/framework/types.go) followed by
// DefaultPreemption's PostFilter message:
//   0/3 nodes are available: 1 node(s) were unschedulable, 2 node(s) didn't find available persistent volumes
//   to bind. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.
// Reasons are counted over nodes and sorted as strings ("<count> <reason>"), joined with ", ".
import type { FilterStatus } from "./filters.js";

export const PreemptionNotHelpful = "Preemption is not helpful for scheduling";
export const NoPreemptionVictims = "No preemption victims found for incoming pod";

function histogram(reasons: Iterable<string>): string {
  const counts = new Map<string, number>();
  for (const reason of reasons) counts.set(reason, (counts.get(reason) ?? 0) + 1);
  return [...counts]
    .map(([reason, count]) => `${count} ${reason}`)
    .sort()
    .join(", ");
}

/**
 * numNodes: every node the scheduler knows. preFilterMessage: a rejection of the pod itself (no node was
 * filtered). statuses: one per rejected node. Preemption cannot help here (stowage has no lower-priority
 * victims to evict): nodes rejected for a resolvable reason get "No preemption victims found", the others
 * "Preemption is not helpful", as upstream prints for a cluster without preemptible pods.
 */
export function fitErrorMessage(numNodes: number, preFilterMessage: string | undefined, statuses: FilterStatus[]) {
  let message = `0/${numNodes} nodes are available:`;
  if (preFilterMessage) message += ` ${preFilterMessage}.`;
  else {
    const filterMessage = histogram(statuses.flatMap((s) => s.reasons));
    if (filterMessage) message += ` ${filterMessage}.`;
  }
  const preemption = preFilterMessage
    ? Array<string>(numNodes).fill(PreemptionNotHelpful)
    : statuses.map((s) => (s.resolvable ? NoPreemptionVictims : PreemptionNotHelpful));
  message += ` preemption: 0/${numNodes} nodes are available:`;
  const preemptionMessage = histogram(preemption);
  if (preemptionMessage) message += ` ${preemptionMessage}.`;
  return message;
}
