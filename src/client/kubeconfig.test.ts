import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { KubeconfigError, loadKubeconfig, parseKubeconfig } from "./kubeconfig.js";

const fixture = fileURLToPath(new URL("testdata/kubeconfig.yaml", import.meta.url));

test("the current context's server, namespace and bearer token are read from a kubeconfig file", () => {
  const config = loadKubeconfig(fixture);
  assert.equal(config.contextName, "stowage");
  assert.equal(config.server, "http://127.0.0.1:6443");
  assert.equal(config.namespace, "storage");
  assert.equal(config.token, "s3cret");
  assert.equal(config.insecureSkipTlsVerify, false);
});

test("a server list names every apiserver of the cluster; the first is the server", () => {
  const yaml =
    "current-context: c\ncontexts: [{name: c, context: {cluster: k}}]\n" +
    "clusters: [{name: k, cluster: {server: 'https://10.0.0.1:6443/, https://10.0.0.2:6443'}}]\n";
  const config = parseKubeconfig(yaml, { source: "/etc/kc" });
  assert.equal(config.server, "https://10.0.0.1:6443");
  assert.deepEqual(config.servers, ["https://10.0.0.1:6443", "https://10.0.0.2:6443"]);
  assert.equal(loadKubeconfig(fixture).servers, undefined);
});

const broken = [
  { name: "no current-context", yaml: "clusters: []\n", want: /current-context is not set/ },
  {
    name: "a current-context that names no context",
    yaml: "current-context: nope\ncontexts: []\n",
    want: /current-context "nope" names no entry in contexts/,
  },
  {
    name: "a cluster without a server",
    yaml: "current-context: c\ncontexts: [{name: c, context: {cluster: k}}]\nclusters: [{name: k, cluster: {}}]\n",
    want: /cluster "k" has no server/,
  },
  {
    name: "a server that is not a URL",
    yaml: "current-context: c\ncontexts: [{name: c, context: {cluster: k}}]\nclusters: [{name: k, cluster: {server: 'localhost:6443'}}]\n",
    want: /server "localhost:6443" must start with http:\/\/ or https:\/\//,
  },
  {
    name: "a server list with one entry that is not a URL",
    yaml: "current-context: c\ncontexts: [{name: c, context: {cluster: k}}]\nclusters: [{name: k, cluster: {server: 'https://a:1,b:2'}}]\n",
    want: /server "b:2" must start with http:\/\/ or https:\/\//,
  },
  {
    name: "a user missing from users",
    yaml: "current-context: c\ncontexts: [{name: c, context: {cluster: k, user: u}}]\nclusters: [{name: k, cluster: {server: 'http://h'}}]\n",
    want: /names user "u", which is not in users/,
  },
  { name: "YAML that does not parse", yaml: "current-context: [\n", want: /not valid YAML/ },
];
for (const c of broken) {
  test(`a kubeconfig with ${c.name} is refused with a message naming the problem`, () => {
    assert.throws(
      () => parseKubeconfig(c.yaml, { source: "/etc/kc" }),
      (err: unknown) =>
        err instanceof KubeconfigError && /^kubeconfig \/etc\/kc: /.test(err.message) && c.want.test(err.message),
    );
  });
}

test("another context can be chosen, and a token file is read relative to the kubeconfig", async () => {
  const dir = await mkdtemp(join(tmpdir(), "stowage-kubeconfig-"));
  await writeFile(join(dir, "token"), "from-file\n");
  await writeFile(
    join(dir, "config"),
    [
      "current-context: a",
      "contexts: [{name: a, context: {cluster: k}}, {name: b, context: {cluster: k, user: u}}]",
      "clusters: [{name: k, cluster: {server: 'https://[::1]:6443', insecure-skip-tls-verify: true}}]",
      "users: [{name: u, user: {tokenFile: token}}]",
    ].join("\n"),
  );
  const config = loadKubeconfig(join(dir, "config"), { context: "b" });
  assert.equal(config.token, "from-file");
  assert.equal(config.insecureSkipTlsVerify, true);
  assert.throws(() => loadKubeconfig(join(dir, "missing")), /kubeconfig .*missing: cannot read it/);
});
