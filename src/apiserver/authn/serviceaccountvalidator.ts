// ServiceAccount tokens as bearer tokens (upstream's JWT token authenticator and its claims validator,
// pkg/serviceaccount/jwt.go and claims.go): a token that verifies (serviceaccount.ts) authenticates only while its
// ServiceAccount — and the Pod or Secret it is bound to — still exist with the UIDs the token names. Deleting and
// recreating a ServiceAccount therefore invalidates every token issued before. Objects deleted less than a minute
// ago (jwt.DefaultLeeway) still count, as upstream: a pod in its grace period keeps its token working. The objects
// are read from the apiserver's own store on every request, so a deletion takes effect at once.
import type { KubeObject } from "../../api/meta.js";
import type { UserInfo } from "../../api/user.js";
import {
  serviceAccountUserInfo,
  type ObjectRef,
  type ServiceAccountTokens,
  type VerifiedToken,
} from "./serviceaccount.js";

const leewayMs = 60_000;

/** Reads one object of the core group as stored now (undefined when absent). */
export type CoreObjectGetter = (
  plural: "serviceaccounts" | "pods" | "secrets",
  namespace: string,
  name: string,
) => Promise<KubeObject | undefined>;

/** Whether the object the token names is still there: same UID, not deleted longer than the leeway ago. */
async function stillExists(
  get: CoreObjectGetter,
  plural: "serviceaccounts" | "pods" | "secrets",
  namespace: string,
  ref: ObjectRef,
  now: Date,
): Promise<boolean> {
  const object = await get(plural, namespace, ref.name);
  if (!object) return false;
  const deleted = object.metadata.deletionTimestamp;
  if (deleted && Date.parse(deleted) < now.getTime() - leewayMs) return false;
  return object.metadata.uid === ref.uid;
}

/** upstream's validator.Validate after the JWT checks: the ServiceAccount, then the bound Secret or Pod. */
export async function validateServiceAccountToken(
  token: VerifiedToken,
  get: CoreObjectGetter,
  now = new Date(),
): Promise<boolean> {
  const { namespace } = token;
  if (!(await stillExists(get, "serviceaccounts", namespace, token.serviceAccount, now))) return false;
  if (token.secret && !(await stillExists(get, "secrets", namespace, token.secret, now))) return false;
  if (token.pod && !(await stillExists(get, "pods", namespace, token.pod, now))) return false;
  return true;
}

/**
 * The bearer-token authenticator: undefined for a token that is not a valid ServiceAccount token of ours (the
 * request then ends as 401 Unauthorized unless another authenticator knows the token).
 */
export function serviceAccountAuthenticator(
  tokens: ServiceAccountTokens,
  get: CoreObjectGetter,
): (token: string) => Promise<UserInfo | undefined> {
  return async (bearer) => {
    const verified = await tokens.verify(bearer);
    if (!verified || !(await validateServiceAccountToken(verified, get))) return undefined;
    return serviceAccountUserInfo(verified);
  };
}
