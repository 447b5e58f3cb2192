// `stowage up` is secure by default, tried as users would with the real kubectl: the kubeconfig it writes works over
// HTTPS (client certificate of group system:masters), no credentials is system:anonymous and refused, a token from
// `kubectl create token` is allowed exactly what its ServiceAccount's RoleBindings grant, `stowage kubeconfig
// --user/--group` issues a working identity, and `--node` one that may write only its own Node, Lease and pods.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { get as httpsGet } from "node:https";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { parse as parseYaml } from "yaml";
import { controllerManagerComponent } from "../e2e/parts.js";
import { eventually, startStowage, type Stowage } from "../e2e/stowage.js";
import { startUp } from "./up.js";

const main = fileURLToPath(new URL("./main.ts", import.meta.url));

/** `stowage kubeconfig …` as a user runs it; the kubeconfig it prints, written to a file. */
async function issue(stowage: Stowage, file: string, ...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [
    "--import",
    "tsx",
    main,
    "kubeconfig",
    "--data-dir",
    stowage.dataDir,
    ...args,
  ]);
  const path = join(stowage.dataDir, file);
  await writeFile(path, stdout, { mode: 0o600 });
  return path;
}

/** kubectl with only the server and the CA (no user at all), plus `extra` flags such as --token. */
const bare = (stowage: Stowage, ...extra: string[]) => [
  "--kubeconfig=/dev/null",
  `--server=${stowage.url}`,
  `--certificate-authority=${join(stowage.dataDir, "pki", "ca.crt")}`,
  ...extra,
];

test("up serves HTTPS to its kubeconfig's admin, refuses anonymous requests and keeps its keys private", async (t) => {
  const stowage = await startStowage(t, { store: "memory" });
  assert.match(stowage.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  const config = parseYaml(await readFile(stowage.kubeconfig, "utf8")) as {
    users: { user: Record<string, string> }[];
    clusters: { cluster: Record<string, string> }[];
  };
  assert.ok(config.users[0].user["client-certificate-data"], "the admin authenticates with a client certificate");
  assert.ok(config.clusters[0].cluster["certificate-authority-data"], "and trusts the cluster's CA");
  assert.equal(config.clusters[0].cluster["insecure-skip-tls-verify"], undefined);
  assert.equal(
    await stowage.kubectl("auth", "whoami", "-o", "jsonpath={.status.userInfo.groups}"),
    '["system:masters","system:authenticated"]',
  );
  await stowage.kubectl("create", "namespace", "over-https");
  assert.match(await stowage.kubectl("get", "namespace", "over-https", "-o", "name"), /namespace\/over-https/);

  // kubectl always brings some credential (it prompts for a password without one): a bare HTTPS client, CA only
  const ca = await readFile(join(stowage.dataDir, "pki", "ca.crt"), "utf8");
  const anonymous = await new Promise<{ status: number; body: { reason?: string; message?: string } }>(
    (resolve, reject) => {
      httpsGet(new URL("/api/v1/persistentvolumes", stowage.url), { ca }, (res) => {
        let text = "";
        res.on("data", (chunk: Buffer) => (text += chunk.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as { reason?: string } }));
      }).on("error", reject);
    },
  );
  assert.equal(anonymous.status, 403);
  assert.equal(anonymous.body.reason, "Forbidden");
  assert.equal(
    anonymous.body.message,
    'persistentvolumes is forbidden: User "system:anonymous" cannot list resource "persistentvolumes" in API group "" at the cluster scope',
  );
  const wrongToken = await stowage.kubectlResult([...bare(stowage, "--token=not-a-token"), "get", "pv"], { input: "" });
  assert.match(wrongToken.stderr, /Unauthorized/);

  const pki = join(stowage.dataDir, "pki");
  assert.equal((await stat(pki)).mode & 0o777, 0o700, "pki/ is 0700");
  for (const key of ["ca.key", "apiserver.key", "admin.key", "sa.key"])
    assert.equal((await stat(join(pki, key))).mode & 0o777, 0o600, `${key} is 0600`);
});

test("a token from kubectl create token is allowed what its ServiceAccount's RoleBindings grant", async (t) => {
  const stowage = await startStowage(t, { store: "memory", components: [controllerManagerComponent] });
  await stowage.kubectl("create", "namespace", "team");
  await eventually(async () =>
    (await stowage.kubectlResult(["get", "sa", "default", "-n", "team"])).code === 0 ? true : undefined,
  );
  const token = (await stowage.kubectl("create", "token", "default", "-n", "team")).trim();
  const asToken = (...args: string[]) =>
    stowage.kubectlResult([...bare(stowage, `--token=${token}`), ...args], { input: "" });

  const before = await asToken("get", "pvc", "-n", "team");
  assert.match(
    before.stderr,
    /User "system:serviceaccount:team:default" cannot list resource "persistentvolumeclaims"/,
  );
  await stowage.kubectl(
    "create",
    "rolebinding",
    "default-view",
    "--clusterrole=view",
    "--serviceaccount=team:default",
    "-n",
    "team",
  );
  await eventually(async () => ((await asToken("get", "pvc", "-n", "team")).code === 0 ? true : undefined));
  const elsewhere = await asToken("get", "pvc", "-n", "default");
  assert.match(
    elsewhere.stderr,
    /cannot list resource "persistentvolumeclaims" in API group "" in the namespace "default"/,
  );
  const write = await asToken("create", "configmap", "x", "-n", "team");
  assert.match(write.stderr, /cannot create resource "configmaps"/, "view does not write");
});

test("stowage kubeconfig --user and --group issue a certificate identity RBAC then governs", async (t) => {
  const stowage = await startStowage(t, { store: "memory" });
  const alice = await issue(stowage, "alice.kubeconfig", "--user", "alice", "--group", "storage-admins");
  const asAlice = (...args: string[]) => stowage.kubectlResult([`--kubeconfig=${alice}`, ...args], { input: "" });
  assert.equal((await asAlice("auth", "whoami", "-o", "jsonpath={.status.userInfo.username}")).stdout, "alice");
  assert.match((await asAlice("get", "pv")).stderr, /User "alice" cannot list resource "persistentvolumes"/);
  await stowage.kubectl("create", "clusterrole", "pv-reader", "--verb=get,list", "--resource=persistentvolumes");
  await stowage.kubectl(
    "create",
    "clusterrolebinding",
    "admins-read-pv",
    "--clusterrole=pv-reader",
    "--group=storage-admins",
  );
  await eventually(async () => ((await asAlice("get", "pv")).code === 0 ? true : undefined));
});

test("a node's issued credentials write its own Node, Lease and pods' status, and nothing of another node's", async (t) => {
  const stowage = await startStowage(t, { store: "memory" });
  const n1 = await issue(stowage, "n1.kubeconfig", "--node", "n1");
  const asN1 = (args: string[], input?: string) =>
    stowage.kubectlResult([`--kubeconfig=${n1}`, ...args], { input: input ?? "" });
  for (const name of ["n1", "n2"]) {
    const created = await stowage.kubectlResult(["create", "-f", "-"], {
      input: JSON.stringify({ apiVersion: "v1", kind: "Node", metadata: { name } }),
    });
    assert.equal(created.code, 0, created.stderr);
    const lease = await stowage.kubectlResult(["create", "-f", "-"], {
      input: JSON.stringify({
        apiVersion: "coordination.k8s.io/v1",
        kind: "Lease",
        metadata: { name, namespace: "kube-node-lease" },
        spec: { holderIdentity: name },
      }),
    });
    assert.equal(lease.code, 0, lease.stderr);
    const pod = await stowage.kubectlResult(["create", "-f", "-"], {
      input: JSON.stringify({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: `on-${name}`, namespace: "default" },
        spec: {
          nodeName: name,
          containers: [{ name: "app", image: "busybox" }],
          volumes: [{ name: "s", secret: { secretName: `for-${name}` } }],
        },
      }),
    });
    assert.equal(pod.code, 0, pod.stderr);
  }
  for (const name of ["for-n1", "for-n2"])
    await stowage.kubectl("create", "secret", "generic", name, "--from-literal=a=b");
  assert.equal((await asN1(["get", "secret", "for-n1"])).code, 0, "the Secret of a pod bound to it");

  const label = (node: string) => asN1(["label", "node", node, "example.com/rack=r1"]);
  assert.equal((await label("n1")).code, 0, "its own Node");
  assert.match((await label("n2")).stderr, /forbidden/);
  const renew = (lease: string) =>
    asN1(["patch", "lease", lease, "-n", "kube-node-lease", "--type=merge", "-p", '{"spec":{"holderIdentity":"n1"}}']);
  assert.equal((await renew("n1")).code, 0, "its own Lease");
  assert.match((await renew("n2")).stderr, /can only access node lease with the same name as the requesting node/);

  const podStatus = async (pod: string) => {
    const current = JSON.parse(await stowage.kubectl("get", "pod", pod, "-o", "json")) as Record<string, unknown>;
    const updated = { ...current, status: { phase: "Running" } };
    return asN1(["replace", "--subresource=status", "-f", "-"], JSON.stringify(updated));
  };
  assert.equal((await podStatus("on-n1")).code, 0, "the status of its own pod");
  assert.match((await podStatus("on-n2")).stderr, /forbidden/);
  const secret = await asN1(["get", "secret", "for-n2"]);
  assert.match(secret.stderr, /no relationship found between node 'n1' and this object/);
});

test("up --insecure-http serves plain HTTP with no security only when asked, and warns that it does", async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), "stowage-insecure-"));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const running = await startUp({
    dataDir,
    listen: "127.0.0.1:0",
    store: "memory",
    components: [],
    insecureHttp: true,
    log: () => undefined,
  });
  t.after(() => running.stop());
  assert.match(running.url, /^http:\/\//);
  assert.ok(
    running.said.some((line) => /^WARNING: --insecure-http: .* no authentication or authorization/.test(line)),
    running.said.join("\n"),
  );
  // anyone may do anything: the kubeconfig carries no credentials, and a write is allowed
  const { stdout } = await promisify(execFile)("kubectl", ["create", "namespace", "open", "-o", "name"], {
    env: { ...process.env, KUBECONFIG: running.kubeconfig, KUBECACHEDIR: join(dataDir, "cache") },
  });
  assert.equal(stdout.trim(), "namespace/open");
});
