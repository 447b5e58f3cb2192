import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { promisify } from "node:util";

const main = fileURLToPath(new URL("./main.ts", import.meta.url));
const run = (...args: string[]) =>
  promisify(execFile)(process.execPath, ["--import", "tsx", main, ...args]).then(
    (out) => ({ code: 0, ...out }),
    (err: { code: number; stdout: string; stderr: string }) => err,
  );

test("stowage --help describes the command", async () => {
  const { code, stdout } = await run("--help");
  assert.equal(code, 0);
  assert.match(stdout, /Usage: stowage/);
});

test("an unknown command is refused with a message that says so", async () => {
  const { code, stderr } = await run("no-such-command");
  assert.notEqual(code, 0);
  assert.match(stderr, /unknown command 'no-such-command'/);
});

test("controller-manager takes the node monitor periods as durations and refuses a zero grace period", async () => {
  const help = await run("controller-manager", "--help");
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--node-monitor-grace-period <duration>/);
  assert.match(help.stdout, /--node-monitor-period <duration>/);
  assert.match(help.stdout, /--node-fence-grace <duration>/);
  const refused = await run("controller-manager", "--kubeconfig", "/nonexistent", "--node-monitor-grace-period", "0s");
  assert.notEqual(refused.code, 0);
  assert.match(
    refused.stderr,
    /option '--node-monitor-grace-period <duration>' argument '0s' is invalid\. "0s" must be longer than zero/,
  );
  const badGrace = await run("controller-manager", "--kubeconfig", "/nonexistent", "--node-fence-grace", "soon");
  assert.notEqual(badGrace.code, 0);
  assert.match(badGrace.stderr, /option '--node-fence-grace <duration>' argument 'soon' is invalid/);
});

test("apiserver refuses half-given or unknown security flags with a message naming the flag", async () => {
  const cases: [string[], RegExp][] = [
    [["--tls-cert-file", "/nonexistent.crt"], /--tls-cert-file and --tls-private-key-file go together/],
    [["--client-ca-file", "/nonexistent.crt"], /--client-ca-file needs --tls-cert-file \(HTTPS\)/],
    [
      ["--authorization-mode", "Node,ABAC"],
      /--authorization-mode: "ABAC" is not supported; use a list of AlwaysAllow, Node, RBAC/,
    ],
    [["--token-auth-file", "/nonexistent.csv"], /--token-auth-file \/nonexistent\.csv: .*no such file/],
    [
      ["--encryption-provider-config", "/nonexistent.yaml"],
      /--encryption-provider-config \/nonexistent\.yaml: .*no such file/,
    ],
    [
      ["--kubelet-client-certificate", "/nonexistent.crt"],
      /--kubelet-client-certificate and --kubelet-client-key go together/,
    ],
    [
      ["--kubelet-certificate-authority", "/nonexistent-ca.crt"],
      /--kubelet-certificate-authority \/nonexistent-ca\.crt: .*no such file/,
    ],
  ];
  for (const [flags, message] of cases) {
    const refused = await run("apiserver", "--store", "memory", "--listen", "127.0.0.1:0", ...flags);
    assert.notEqual(refused.code, 0, flags.join(" "));
    assert.match(refused.stderr, message);
  }
});

test("apiserver --encryption-provider-config stores Secrets encrypted in its SQLite file", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "stowage-enc-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const config = join(dir, "encryption.yaml");
  const key = Buffer.alloc(32, 5).toString("base64");
  await writeFile(
    config,
    `apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [secrets]\n  providers:\n  - secretbox: {keys: [{name: k1, secret: "${key}"}]}\n`,
  );
  const db = join(dir, "stowage.db");
  const child = spawn(process.execPath, [
    "--import",
    "tsx",
    main,
    "apiserver",
    "--store",
    `sqlite:${db}`,
    "--listen",
    "127.0.0.1:0",
    "--encryption-provider-config",
    config,
  ]);
  t.after(() => child.kill("SIGKILL"));
  let out = "";
  const url = await new Promise<string>((resolve) =>
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const match = /serving at (\S+)/.exec(out);
      if (match) resolve(match[1]);
    }),
  );
  const secret = {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "db" },
    stringData: { password: "hunter2-hunter2" },
  };
  const created = await fetch(`${url}/api/v1/namespaces/default/secrets`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(secret),
  });
  assert.equal(created.status, 201);
  child.kill("SIGTERM");
  await once(child, "exit");
  const files = (await readdir(dir)).filter((f) => f.startsWith("stowage.db"));
  const raw = Buffer.concat(await Promise.all(files.map((f) => readFile(join(dir, f)))));
  assert.ok(raw.includes("k8s:enc:secretbox:v1:k1:"));
  assert.ok(!raw.includes(Buffer.from("hunter2-hunter2").toString("base64")) && !raw.includes("hunter2-hunter2"));
});
