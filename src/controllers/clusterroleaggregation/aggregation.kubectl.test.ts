// ClusterRole aggregation through the real kubectl against a secured apiserver (Node,RBAC) with the aggregation loop
// running: a ClusterRole labelled rbac.authorization.k8s.io/aggregate-to-view=true puts its rules into view (and on
// into edit and admin), so `kubectl auth can-i --as` a viewer says yes; removing the label takes them out again.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { createClient, createInformerFactory, inProcessTransport } from "../../client/index.js";
import { createApiServer, MemoryStore } from "../../e2e/parts.js";
import { eventually } from "../../e2e/stowage.js";
import { createCertificateAuthority, issueCertificate } from "../../support/pki.js";
import { startClusterRoleAggregation } from "./controller.js";

const b64 = (text: string) => Buffer.from(text).toString("base64");

/** A secured apiserver, the aggregation loop on an in-process client, and kubectl as the cluster admin. */
async function start(t: TestContext) {
  const dir = await mkdtemp(join(tmpdir(), "stowage-aggregation-"));
  const ca = await createCertificateAuthority("test-ca", 1);
  const serving = await issueCertificate(ca, {
    commonName: "apiserver",
    usage: "server",
    hosts: ["127.0.0.1"],
    validDays: 1,
  });
  const admin = await issueCertificate(ca, {
    commonName: "admin",
    organizations: ["system:masters"],
    usage: "client",
    validDays: 1,
  });
  const server = await createApiServer({
    store: new MemoryStore(),
    tls: { cert: serving.cert, key: serving.key, clientCA: ca.cert },
    security: { authentication: { anonymous: false }, authorization: ["Node", "RBAC"] },
    log: () => undefined,
  });
  const listener = await server.listen("127.0.0.1:0");
  const stop = new AbortController();
  // the loop must write ClusterRoles beyond its own rights (upstream's controller role grants it escalate); a
  // system:masters identity keeps this test about aggregation
  const client = createClient(inProcessTransport(server.handler, { name: "aggregator", groups: ["system:masters"] }));
  const loop = await startClusterRoleAggregation(
    { client, informers: createInformerFactory(client), log: () => undefined },
    stop.signal,
  );
  t.after(async () => {
    stop.abort();
    await loop.done;
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });
  const kubeconfig = join(dir, "admin.kubeconfig");
  await writeFile(
    kubeconfig,
    [
      "apiVersion: v1",
      "kind: Config",
      `clusters: [{name: s, cluster: {server: "${listener.url}", certificate-authority-data: ${b64(ca.cert)}}}]`,
      "contexts: [{name: s, context: {cluster: s, user: admin, namespace: default}}]",
      "current-context: s",
      `users: [{name: admin, user: {client-certificate-data: ${b64(admin.cert)}, client-key-data: ${b64(admin.key)}}}]`,
      "",
    ].join("\n"),
  );
  /** kubectl as the admin: its exit code, stdout (trimmed) and stderr. */
  return async (args: string[], input?: string) => {
    const child = execFile("kubectl", ["--kubeconfig", kubeconfig, "--cache-dir", join(dir, "cache"), ...args]);
    child.stdin?.end(input ?? "");
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(child, "close")) as [number | null];
    return { code, stdout: stdout.trim(), stderr };
  };
}

type Kubectl = Awaited<ReturnType<typeof start>>;

/** Waits until `condition` holds (eventually() waits for a value other than undefined). */
const until = (condition: () => Promise<boolean>) => eventually(async () => (await condition()) || undefined, 10_000);

async function ok(kubectl: Kubectl, args: string[], input?: string): Promise<string> {
  const result = await kubectl(args, input);
  if (result.code !== 0) throw new Error(`kubectl ${args.join(" ")}: ${result.stderr}`);
  return result.stdout;
}

const snapshotViewer = `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: snapshot-viewer
  labels: {rbac.authorization.k8s.io/aggregate-to-view: "true"}
rules:
- apiGroups: [snapshot.storage.k8s.io]
  resources: [volumesnapshots]
  verbs: [get, list, watch]
`;

test("a ClusterRole labelled aggregate-to-view extends view (and edit and admin) until the label goes", async (t) => {
  const kubectl = await start(t);
  await ok(kubectl, ["create", "rolebinding", "vera-view", "--clusterrole=view", "--user=vera"]);
  // can-i answers on stdout, and exits 1 for "no"
  const canViewerList = async () =>
    (await kubectl(["auth", "can-i", "list", "volumesnapshots.snapshot.storage.k8s.io", "--as", "vera"])).stdout;
  assert.equal(await canViewerList(), "no");

  await ok(kubectl, ["apply", "-f", "-"], snapshotViewer);
  const resourcesOf = (role: string) =>
    ok(kubectl, ["get", "clusterrole", role, "-o", "jsonpath={.rules[*].resources}"]);
  const hasSnapshots = async (role: string) => (await resourcesOf(role)).includes("volumesnapshots");
  await until(
    async () => (await hasSnapshots("view")) && (await hasSnapshots("edit")) && (await hasSnapshots("admin")),
  );
  // view's own rules stay: pods are still readable
  assert.match(await resourcesOf("view"), /"pods"/);
  await until(async () => (await canViewerList()) === "yes");

  await ok(kubectl, ["label", "clusterrole", "snapshot-viewer", "rbac.authorization.k8s.io/aggregate-to-view-"]);
  await until(async () => !(await hasSnapshots("view")) && !(await hasSnapshots("admin")));
  await until(async () => (await canViewerList()) === "no");
});
