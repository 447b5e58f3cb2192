// The serviceaccounts controller on a real in-process apiserver: every active namespace gets its "default"
// ServiceAccount, one deleted comes back (a new object, new UID), and a namespace being deleted gets none.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createInformerFactory, isNotFound } from "../../client/index.js";
import { eventually, startTestApiServer } from "../../e2e/apiserver.js";
import { syncedInformers } from "../../client/testing/informers.js";
import { startServiceAccountsController } from "./controller.js";
import { syncNamespace } from "./sync.js";

test("a new namespace gets a default ServiceAccount, and a deleted default comes back", async (t) => {
  const server = await startTestApiServer(t);
  const client = server.client("in-process");
  const abort = new AbortController();
  const informers = createInformerFactory(client, { log: () => undefined });
  const loop = await startServiceAccountsController({ client, informers, log: () => undefined }, abort.signal);
  t.after(async () => {
    abort.abort();
    await loop.done;
  });

  await client.namespaces.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: "team" } });
  const first = await eventually(
    () => client.serviceAccounts.get("team", "default").catch(() => undefined),
    "team/default",
  );
  assert.equal(first.metadata.namespace, "team");
  for (const system of ["default", "kube-system"]) {
    await eventually(() => client.serviceAccounts.get(system, "default").catch(() => undefined), `${system}/default`);
  }

  await client.serviceAccounts.delete("team", "default");
  const again = await eventually(
    () =>
      client.serviceAccounts
        .get("team", "default")
        .then((account) => (account.metadata.uid !== first.metadata.uid ? account : undefined))
        .catch(() => undefined),
    "team/default made again",
  );
  assert.notEqual(again.metadata.uid, first.metadata.uid, "a new ServiceAccount: tokens of the old one stop working");
});

test("a namespace being deleted gets no default ServiceAccount", async (t) => {
  const server = await startTestApiServer(t);
  const client = server.client("in-process");
  await client.namespaces.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: "closing" } });
  // a finalizer nobody removes keeps the namespace Terminating
  await client.configMaps.create({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "held", namespace: "closing", finalizers: ["example.com/hold"] },
  });
  await client.namespaces.delete("closing");
  const informers = await syncedInformers(t, client, (f) => [f.namespaces, f.serviceAccounts]);
  await eventually(() => informers.namespaces.get("closing")?.status?.phase === "Terminating", "Terminating");

  await syncNamespace(
    { client, namespaces: informers.namespaces, serviceAccounts: informers.serviceAccounts },
    "closing",
  );

  await assert.rejects(client.serviceAccounts.get("closing", "default"), isNotFound);
});
