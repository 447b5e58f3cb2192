// The serviceaccounts controller (upstream pkg/controller/serviceaccount/serviceaccounts_controller.go): every
// active namespace has a "default" ServiceAccount — created with the namespace, and again if someone deletes it.
// A namespace is looked at when it is added or changes and when one of its ServiceAccounts is deleted. Decision:
// sync.ts.
import type { StartLoop } from "../../client/index.js";
import { WorkQueue, every, removeWhenAborted, stopped } from "../../client/index.js";
import type { LoopContext } from "../common/context.js";
import { syncNamespace } from "./sync.js";

export interface ServiceAccountsContext extends LoopContext {
  workers?: number;
  resyncPeriodMs?: number;
}

export const startServiceAccountsController: StartLoop<ServiceAccountsContext> = async (ctx, signal) => {
  const { client, informers, log } = ctx;
  const namespaces = informers.namespaces;
  const serviceAccounts = informers.serviceAccounts;
  const queue = new WorkQueue<string>({ name: "serviceaccount", log });
  removeWhenAborted(signal, [
    namespaces.onAdd((namespace) => queue.add(namespace.metadata.name ?? "")),
    namespaces.onUpdate((_old, namespace) => queue.add(namespace.metadata.name ?? "")),
    // a deleted "default" is made again
    serviceAccounts.onDelete((account) => queue.add(account.metadata.namespace ?? "")),
  ]);
  every(ctx.resyncPeriodMs ?? 0, signal, () => namespaces.keys().forEach((key) => queue.add(key)));

  informers.start(signal);
  if (!(await informers.waitForSync(signal))) return stopped;
  const sync = (name: string) => syncNamespace({ client, namespaces, serviceAccounts }, name);
  return { done: queue.work(signal, sync, ctx.workers ?? 1) };
};
