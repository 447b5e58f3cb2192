// client-go's SubjectAccessReviews().Create: asks the apiserver whether a user may do something, as components that
// delegate authorization do (the kubelet and kube-controller-manager for /metrics). Create-only, the verdict in status.
import type { Client } from "./client.js";
import { encodeJson, readJson } from "./wire.js";

export interface AccessReviewSpec {
  user: string;
  groups: string[];
  resourceAttributes?: { verb: string; resource: string; subresource?: string; name?: string; namespace?: string };
  nonResourceAttributes?: { path: string; verb: string };
}

/** The apiserver's verdict; an answer other than 2xx is thrown as an ApiError (wire.ts). */
export async function reviewAccess(
  client: Client,
  spec: AccessReviewSpec,
): Promise<{ allowed: boolean; reason?: string }> {
  const response = await client.transport({
    method: "POST",
    path: "/apis/authorization.k8s.io/v1/subjectaccessreviews",
    query: new URLSearchParams(),
    headers: { accept: "application/json", "content-type": "application/json" },
    body: encodeJson({ apiVersion: "authorization.k8s.io/v1", kind: "SubjectAccessReview", spec }),
  });
  const review = (await readJson(response)) as { status?: { allowed?: boolean; reason?: string } } | null;
  return { allowed: review?.status?.allowed === true, reason: review?.status?.reason };
}
