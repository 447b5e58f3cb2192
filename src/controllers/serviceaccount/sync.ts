// The serviceaccounts controller's decision for one namespace (upstream syncNamespace): an active namespace gets
// each ServiceAccount it must have ("default") that the cache does not show. A namespace being deleted gets none:
// its content is on the way out, and the apiserver would refuse the create anyway.
import type { Namespace } from "../../api/core/types.js";
import type { ServiceAccount } from "../../api/core/serviceaccount.js";
import type { Client, Lister } from "../../client/index.js";
import { ApiError, isAlreadyExists, isForbidden } from "../../client/index.js";

/** The namespace started terminating after our cache saw it: the apiserver refuses new content, as it should. */
const isNamespaceTerminating = (err: unknown): boolean =>
  isForbidden(err) &&
  err instanceof ApiError &&
  (err.details?.causes ?? []).some((cause) => cause.reason === "NamespaceTerminating");

/** upstream's DefaultServiceAccountsControllerOptions: ServiceAccountsToEnsure. */
export const serviceAccountsToEnsure = ["default"];

export interface ServiceAccountsSync {
  client: Client;
  namespaces: Lister<Namespace>;
  serviceAccounts: Lister<ServiceAccount>;
}

export async function syncNamespace(ctx: ServiceAccountsSync, name: string): Promise<void> {
  const namespace = ctx.namespaces.get(name);
  if (!namespace || namespace.status?.phase === "Terminating" || namespace.metadata.deletionTimestamp) return;
  for (const account of serviceAccountsToEnsure) {
    if (ctx.serviceAccounts.get(`${name}/${account}`)) continue;
    try {
      await ctx.client.serviceAccounts.create({ metadata: { name: account, namespace: name } });
    } catch (err) {
      // made meanwhile (our cache lags), or the namespace started terminating: both are fine
      if (!isAlreadyExists(err) && !isNamespaceTerminating(err)) throw err;
    }
  }
}
