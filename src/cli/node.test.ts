// `stowage node`: flags refused with a message that says what to fix.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";

const main = fileURLToPath(new URL("./main.ts", import.meta.url));
const run = (...args: string[]) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    execFile(process.execPath, ["--import", "tsx", main, ...args], (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr }),
    ),
  );

const base = ["node", "--kubeconfig", "/nonexistent/kubeconfig", "--node-name", "node-1", "--root-dir", "/tmp/x"];
const cases = [
  {
    name: "a missing --node-name is refused",
    args: ["node", "--kubeconfig", "k", "--root-dir", "/tmp/x"],
    stderr: /required option '--node-name <name>' not specified/,
  },
  {
    name: "a node name that is not a DNS subdomain is refused",
    args: [...base.slice(0, 3), "--node-name", "Node_1", "--root-dir", "/tmp/x"],
    stderr: /"Node_1" is not a valid node name/,
  },
  {
    name: "an unknown runtime is refused naming the known one",
    args: [...base, "--runtime", "docker"],
    stderr: /unknown runtime "docker": want none/,
  },
  {
    name: "a CSI endpoint that is not a unix socket is refused",
    args: [...base, "--csi-driver", "tcp://x:1"],
    stderr: /invalid CSI endpoint "tcp:\/\/x:1"/,
  },
  { name: "an unreadable kubeconfig is refused naming the flag", args: base, stderr: /error: --kubeconfig: / },
  {
    name: "a container log max size that is not a quantity is refused",
    args: [...base, "--container-log-max-size", "ten"],
    stderr: /failed to parse container log max size "ten": .*want a size such as 10Mi or 500Ki/,
  },
  {
    name: "a container log max size of zero is refused",
    args: [...base, "--container-log-max-size", "0"],
    stderr: /container log max size "0" must be a positive size such as 10Mi/,
  },
  {
    name: "fewer than two container log files is refused",
    args: [...base, "--container-log-max-files", "1"],
    stderr: /containerLogMaxFiles \(--container-log-max-files\) "1" must be an integer equal to or greater than 2/,
  },
  {
    name: "a --fence-after that is not a duration is refused",
    args: [...base, "--fence-after", "10"],
    stderr: /option '--fence-after <duration>' argument '10' is invalid\. "10" is not a duration: want e\.g\. 10s/,
  },
  {
    name: "a kubelet address that is not host[:port] is refused",
    args: [...base, "--kubelet-address", "127.0.0.1:http"],
    stderr: /kubelet address "127\.0\.0\.1:http": want an IP address or host, optionally with :port/,
  },
];
for (const c of cases) {
  test(c.name, async () => {
    const result = await run(...c.args);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, c.stderr);
  });
}

test("without its TLS flags the node does not start: no plain-HTTP kubelet port", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "stowage-node-flags-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const kubeconfig = join(dir, "kubeconfig");
  await writeFile(
    kubeconfig,
    "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]\n" +
      "users: [{name: u, user: {}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n",
  );
  const args = ["node", "--kubeconfig", kubeconfig, "--node-name", "node-1", "--root-dir", join(dir, "root")];
  const none = await run(...args);
  assert.equal(none.code, 2);
  assert.match(
    none.stderr,
    /error: stowage node: the kubelet API serves HTTPS only .*: --tls-cert-file, --tls-private-key-file, --client-ca-file are missing/,
  );
  const noCA = await run(...args, "--tls-cert-file", "/x.crt", "--tls-private-key-file", "/x.key");
  assert.match(noCA.stderr, /--client-ca-file is missing/);
  const unreadable = await run(
    ...args,
    ...["--tls-cert-file", "/nonexistent/kubelet.crt", "--tls-private-key-file", "/x.key", "--client-ca-file", "/c"],
  );
  assert.equal(unreadable.code, 2);
  assert.match(unreadable.stderr, /--tls-cert-file \/nonexistent\/kubelet\.crt: ENOENT/);
});

test("stowage node --help lists its flags", async () => {
  const result = await run("node", "--help");
  assert.equal(result.code, 0);
  const flags = ["--kubeconfig", "--node-name", "--root-dir", "--runtime", "--csi-driver", "--kubelet-address"];
  flags.push("--fence-after");
  for (const flag of [...flags, "--tls-cert-file", "--tls-private-key-file", "--client-ca-file"])
    assert.match(result.stdout, new RegExp(flag));
  // Both runtimes are offered, and the help says what "process" means.
  assert.match(
    result.stdout.replace(/\s+/g, " "),
    /none: pods are Running once their volumes are mounted; process: each container's command runs as a process/,
  );
});
