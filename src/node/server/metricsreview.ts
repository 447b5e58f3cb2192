// The kubelet's webhook authorization for /metrics: a SubjectAccessReview asking the apiserver whether the caller
// may get nodes/metrics on this node (the Node authorizer's rules let a node create SubjectAccessReviews).
import type { Client } from "../../client/index.js";
import type { MetricsUser } from "./metrics.js";

export async function mayGetNodeMetrics(client: Client, nodeName: string, user: MetricsUser): Promise<boolean> {
  const response = await client.transport({
    method: "POST",
    path: "/apis/authorization.k8s.io/v1/subjectaccessreviews",
    query: new URLSearchParams(),
    headers: { accept: "application/json", "content-type": "application/json" },
    body: new TextEncoder().encode(
      JSON.stringify({
        apiVersion: "authorization.k8s.io/v1",
        kind: "SubjectAccessReview",
        spec: {
          user: user.name,
          groups: user.groups,
          resourceAttributes: { verb: "get", resource: "nodes", subresource: "metrics", name: nodeName },
        },
      }),
    ),
  });
  if (response.status !== 201 && response.status !== 200) return false;
  const chunks: Uint8Array[] = [];
  if (response.body instanceof Uint8Array) chunks.push(response.body);
  else for await (const chunk of response.body) chunks.push(chunk);
  const review = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { status?: { allowed?: boolean } } | null;
  return review?.status?.allowed === true;
}
