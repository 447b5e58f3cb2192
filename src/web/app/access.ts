// What the signed-in user may do, asked of the API itself (SelfSubjectAccessReview), so the dashboard offers an
// action only where RBAC would allow it: a read-only user sees none. The API still decides every request.
import { getJson } from "./session.js";

export interface ResourceAttributes {
  verb: string;
  group: string;
  resource: string;
  namespace?: string;
}

const answers = new Map<string, Promise<boolean>>();

export function can(attributes: ResourceAttributes): Promise<boolean> {
  const key = `${attributes.verb} ${attributes.group}/${attributes.resource} ${attributes.namespace ?? ""}`;
  let answer = answers.get(key);
  if (!answer) {
    answer = getJson<{ status?: { allowed?: boolean } }>("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", {
      method: "POST",
      body: {
        apiVersion: "authorization.k8s.io/v1",
        kind: "SelfSubjectAccessReview",
        spec: { resourceAttributes: attributes },
      },
    }).then(
      (review) => review.status?.allowed === true,
      () => false,
    );
    answers.set(key, answer);
  }
  return answer;
}

/** Forgets every answer (a new token is a new user). */
export const forgetAccess = (): void => answers.clear();

/** Who the token is (SelfSubjectReview), for the header and to check a token on login. */
export async function whoAmI(): Promise<string> {
  const review = await getJson<{ status?: { userInfo?: { username?: string } } }>(
    "/apis/authentication.k8s.io/v1/selfsubjectreviews",
    { method: "POST", body: { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" } },
  );
  return review.status?.userInfo?.username ?? "unknown";
}
