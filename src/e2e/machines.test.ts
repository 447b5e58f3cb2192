// Machines on one host, and the faults tests inject into them: a node agent on its own network namespace joins the
// apiserver over TLS with its own node credentials, what it mounts is seen only there, and its cable, its process and
// a disk can each be broken and mended.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { createClient, httpTransport, loadKubeconfig } from "../client/index.js";
import { repoRoot, stowageEntry, untilOutput } from "./agentprocess.js";
import { stowageBundle } from "./bundle.js";
import { freeze, kill9, processState, smallDisk } from "./faults.js";
import { startMachineNode } from "./machinenode.js";
import { startMachines, type Machine } from "./machines.js";
import { mountsUnder, unmountUnder } from "./mounts.js";
import { eventually } from "./stowage.js";

/** A secured `stowage apiserver` on the host's bridge address, its data dir in `dir`; its URL. */
async function startApiserver(t: TestContext, address: string, dir: string, bundle: string): Promise<string> {
  const args = ["apiserver", "--store", "memory", "--listen", `${address}:0`, "--data-dir", dir];
  const child = spawn(process.execPath, [...stowageEntry(bundle), ...args, "--tls-san", address], {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "pipe"],
  });
  t.after(() => kill9(child));
  const output = await untilOutput(child, "admin kubeconfig: ", "stowage apiserver");
  const url = /serving at (\S+)/.exec(output)?.[1];
  if (!url) throw new Error(`no URL in: ${output}`);
  return url;
}

/** Can this machine open a TCP connection to host:port within a second? */
async function reaches(machine: Machine, url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  const probe = `exec 3<>/dev/tcp/${hostname}/${port}`;
  return machine.exec("timeout", ["1", "bash", "-c", probe]).then(
    () => true,
    () => false,
  );
}

test("a node on its own machine joins over TLS with its node credentials, and its mounts are its own", async (t) => {
  const { hostAddress, machines } = await startMachines(t, 2);
  const dir = await mkdtemp(join(tmpdir(), "stowage-machines-"));
  t.after(async () => {
    await unmountUnder(dir);
    await rm(dir, { recursive: true, force: true });
  });
  const bundle = await stowageBundle(t);
  const dataDir = join(dir, "apiserver");
  const url = await startApiserver(t, hostAddress, dataDir, bundle);
  const [first, second] = machines;
  const node = await startMachineNode(first, {
    dataDir,
    dir: join(dir, first.name),
    blockStateDir: join(dir, "cloud"),
    servers: [url],
    bundle,
  });
  const http = httpTransport(loadKubeconfig(join(dataDir, "kubeconfig")));
  t.after(() => http.close());
  const client = createClient(http);
  const readyAt = async () => {
    const view = await client.nodes.get(first.name);
    const ready = view.status?.conditions?.find((c) => c.type === "Ready")?.status === "True";
    return ready ? view.status?.addresses?.find((a) => a.type === "InternalIP")?.address : undefined;
  };
  assert.equal(await eventually(readyAt, 30_000), first.address);

  // what the machine mounts is in its mountinfo, not the host's nor the other machine's
  const probe = join(dir, first.name, "probe");
  await mkdir(probe);
  await first.exec("mount", ["-t", "tmpfs", "probe", probe]);
  assert.deepEqual(await first.mountsUnder(probe), [probe]);
  assert.deepEqual(await mountsUnder(probe), []);
  assert.deepEqual(await second.mountsUnder(probe), []);

  // the cable: pulled, nothing gets through; put back, the agent is Ready again after a restart of its own
  assert.ok(await reaches(first, url), "the machine reaches the apiserver");
  await first.cutNetwork();
  assert.equal(await reaches(first, url), false, "no connection through a pulled cable");
  await first.restoreNetwork();
  await eventually(async () => ((await reaches(first, url)) ? true : undefined));
  await node.restartAgent();
  assert.equal(await eventually(readyAt, 30_000), first.address);
});

test("a process can be frozen and thawed, killed with -9, and a disk filled and emptied", async (t) => {
  const child = spawn("sleep", ["60"]);
  t.after(() => kill9(child));
  const frozen = await freeze(child);
  assert.equal(await processState(child.pid!), "T");
  frozen.resume();
  await eventually(async () => ((await processState(child.pid!)) !== "T" ? true : undefined));
  await kill9(child);
  assert.equal(child.signalCode, "SIGKILL");

  const dir = await mkdtemp(join(tmpdir(), "stowage-disk-"));
  const disk = await smallDisk(t, join(dir, "disk"), 1024 * 1024);
  t.after(() => rm(dir, { recursive: true, force: true })); // after the disk's unmount (hooks run in order)
  await disk.fill();
  await assert.rejects(writeFile(join(disk.dir, "more"), Buffer.alloc(64 * 1024)), { code: "ENOSPC" });
  await disk.restore();
  await writeFile(join(disk.dir, "more"), Buffer.alloc(64 * 1024));
});
