// `stowage up`, `stowage kubeconfig` and `stowage apiserver` as a user runs them: a real process, real kubectl.
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const main = fileURLToPath(new URL("./main.ts", import.meta.url));
const run = (...args: string[]) =>
  promisify(execFile)(process.execPath, ["--import", "tsx", main, ...args]).then(
    (out) => ({ code: 0, ...out }),
    (err: { code: number; stdout: string; stderr: string }) => err,
  );

async function up(dataDir: string, ...extra: string[]) {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", main, "up", "--data-dir", dataDir, "--listen", "127.0.0.1:0", ...extra],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stdout = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const deadline = Date.now() + 20_000;
  while (!/Press Ctrl-C to stop/.test(stdout)) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`stowage up did not start: ${stdout}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    stdout: () => stdout,
    stop: async () => {
      child.kill("SIGTERM");
      return exited;
    },
  };
}

const kubectl = (kubeconfig: string, cache: string, ...args: string[]) =>
  promisify(execFile)("kubectl", args, { env: { ...process.env, KUBECONFIG: kubeconfig, KUBECACHEDIR: cache } });

test("stowage up prints how to use kubectl, stops cleanly on SIGTERM, and a second up resumes the data and its certificates", async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), "stowage-up-"));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const first = await up(dataDir);
  const kubeconfig = join(dataDir, "kubeconfig");
  assert.match(first.stdout(), new RegExp(`export KUBECONFIG=${kubeconfig.replace(/[.]/g, "\\.")}`));
  const cache = join(dataDir, "cache");
  await kubectl(kubeconfig, cache, "create", "namespace", "kept");
  const before = (await kubectl(kubeconfig, cache, "get", "ns", "kept", "-o", "jsonpath={.metadata.resourceVersion}"))
    .stdout;
  assert.equal(await first.stop(), 0);
  const pem = (name: string) => readFile(join(dataDir, "pki", name), "utf8");
  const [ca, admin, serving] = await Promise.all([pem("ca.crt"), pem("admin.crt"), pem("apiserver.crt")]);
  assert.match(new X509Certificate(serving).subjectAltName ?? "", /IP Address:127\.0\.0\.1/);

  const second = await up(dataDir, "--tls-san", "stowage.example.test");
  t.after(() => second.stop());
  const after = (await kubectl(kubeconfig, cache, "get", "ns", "kept", "-o", "jsonpath={.metadata.resourceVersion}"))
    .stdout;
  assert.equal(after, before);
  // the CA and the admin's certificate are reused; the serving certificate is re-issued for the new --tls-san
  assert.equal(await pem("ca.crt"), ca);
  assert.equal(await pem("admin.crt"), admin);
  assert.match(new X509Certificate(await pem("apiserver.crt")).subjectAltName ?? "", /DNS:stowage\.example\.test/);
  // stowage kubeconfig prints the same file
  const printed = await run("kubeconfig", "--data-dir", dataDir);
  assert.equal(printed.code, 0);
  assert.equal(printed.stdout, await readFile(kubeconfig, "utf8"));
  // and as JSON for scripts, as kubectl config view -o json
  const json = await run("kubeconfig", "--data-dir", dataDir, "-o", "json");
  assert.equal(json.code, 0, json.stderr);
  const parsed = JSON.parse(json.stdout) as {
    "current-context": string;
    clusters: Array<{ cluster: { server: string } }>;
  };
  assert.equal(parsed["current-context"], "stowage");
  assert.match(parsed.clusters[0].cluster.server, /^https:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(await second.stop(), 0);
});

const refusals = [
  { args: ["up", "--no-such-flag"], message: /unknown option '--no-such-flag'/ },
  { args: ["up", "--listen", "localhost"], message: /--listen: "localhost" is not host:port/ },
  { args: ["up", "--listen", "127.0.0.1:99999"], message: /is not a port number/ },
  { args: ["up", "--nodes", "0"], message: /"0" is not a number of nodes: want an integer of at least 1/ },
  { args: ["up", "--nodes", "two"], message: /"two" is not a number of nodes: want an integer of at least 1/ },
  { args: ["up", "--runtime", "docker"], message: /unknown runtime "docker": want none or process/ },
  {
    args: ["up", "--container-log-max-size", "10MB"],
    message: /failed to parse container log max size "10MB": .*want a size such as 10Mi/,
  },
  {
    args: ["up", "--container-log-max-files", "1"],
    message: /--container-log-max-files\) "1" must be an integer equal to or greater than 2/,
  },
  {
    args: ["apiserver", "--store", "etcd://127.0.0.1"],
    message: /"127.0.0.1" in "etcd:\/\/127.0.0.1" is not an etcd member's host:port \(for example 127.0.0.1:2379\)/,
  },
  {
    args: ["apiserver", "--store", "etcd://127.0.0.1:2379", "--etcd-certfile", "client.crt"],
    message: /--etcd-certfile and --etcd-keyfile go together/,
  },
  { args: ["apiserver", "--store", "memory", "--pki-from", "/tmp"], message: /--pki-from needs --data-dir/ },
  {
    args: ["apiserver", "--store", "memory", "--data-dir", "/tmp/x", "--client-ca-file", "ca.crt"],
    message: /--client-ca-file clashes with --data-dir, which makes its own \(drop one of them\)/,
  },
  {
    args: ["apiserver", "--store", "postgres:x"],
    message: /"postgres:x" is not a store: use sqlite:<file>, memory or etcd:\/\/<host:port>\[,<host:port>…\]/,
  },
  { args: ["up", "--store", "memory"], message: /--store: up keeps its SQLite store in --data-dir/ },
  {
    args: ["scheduler", "--kubeconfig", "/nonexistent", "--leader-elect=maybe"],
    message: /"maybe" is not a boolean: want true or false/,
  },
  {
    args: ["controller-manager", "--kubeconfig", "/nonexistent", "--leader-elect-lease-duration", "5s"],
    message: /--leader-elect-lease-duration must be greater than --leader-elect-renew-deadline/,
  },
  { args: ["apiserver"], message: /required option '--store <store>' not specified/ },
  { args: ["down", "-o", "xml"], message: /argument 'xml' is invalid\. Allowed choices are text, json/ },
  { args: ["kubeconfig", "-o", "xml"], message: /argument 'xml' is invalid\. Allowed choices are yaml, json/ },
  {
    args: ["kubeconfig", "--data-dir", "/nonexistent/stowage"],
    message:
      /no kubeconfig at \/nonexistent\/stowage\/kubeconfig: run `stowage up --data-dir \/nonexistent\/stowage` first/,
  },
];
for (const r of refusals) {
  test(`stowage ${r.args.join(" ")} is refused with a message that says what to fix`, async () => {
    const result = await run(...r.args);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, r.message);
  });
}
