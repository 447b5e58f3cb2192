// The kubelet's webhook authorization for /metrics: a SubjectAccessReview asking the apiserver whether the caller
// may get nodes/metrics on this node (the Node authorizer's rules let a node create SubjectAccessReviews).
import { reviewAccess, type Client } from "../../client/index.js";
import type { MetricsUser } from "./metrics.js";

export async function mayGetNodeMetrics(client: Client, nodeName: string, user: MetricsUser): Promise<boolean> {
  const review = await reviewAccess(client, {
    user: user.name,
    groups: user.groups,
    resourceAttributes: { verb: "get", resource: "nodes", subresource: "metrics", name: nodeName },
  }).catch(() => ({ allowed: false }));
  return review.allowed;
}
