// The many-machine stowage the chaos test breaks: a three-member etcd, two apiservers on it (the second sharing the
// first's CA), two leader-elected controller-managers and schedulers, the block driver's controller side with its
// csi-provisioner and csi-attacher, and node machines (network namespaces) each running a node agent and a block
// driver with its own node credentials. Every process is supervised (started again after it exits), every
// control-plane process has a hostname of its own (a UTS namespace) so that a Lease's holderIdentity names it.
import { execFile, spawn } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { promisify } from "node:util";
import { createClient, httpTransport, loadKubeconfig, type Client } from "../../client/index.js";
import { startEtcd, type EtcdCluster } from "../../store/testing/etcdserver.js";
import { repoRoot, stowageEntry } from "../agentprocess.js";
import { startMachineNode, type MachineNode } from "../machinenode.js";
import { startMachines, type Machine } from "../machines.js";
import { Supervised } from "../supervised.js";
import { createStorage } from "./storage.js";

const run = promisify(execFile);

/** Leases short enough that a SIGSTOP past one fits in a short test (upstream: 15 s, 10 s, 2 s). */
export const leaseFlags = {
  durationMs: 4_000,
  controlPlane: [
    ...["--leader-elect-lease-duration", "4s", "--leader-elect-renew-deadline", "3s"],
    ...["--leader-elect-retry-period", "500ms"],
  ],
  sidecar: [
    ...["--leader-election-lease-duration", "4s", "--leader-election-renew-deadline", "3s"],
    ...["--leader-election-retry-period", "500ms"],
  ],
};

export interface ChaosCluster {
  dir: string;
  etcd: EtcdCluster;
  apiservers: Supervised[];
  controllerManagers: Supervised[];
  schedulers: Supervised[];
  /** The block driver's controller side, csi-provisioner and csi-attacher. */
  sidecars: Supervised[];
  nodes: MachineNode[];
  machines: Machine[];
  /** The block driver's "cloud": its volumes' records and backing files. */
  cloud: string;
  /** The admin, over HTTPS, failing over between both apiservers. */
  client: Client;
  kubeconfig: string;
}

async function freePort(host: string): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== "object" || !address) throw new Error("no port");
  return address.port;
}

/** `stowage <args>` on the host under its own hostname, supervised. */
function hostComponent(name: string, args: string[], ready: string, bundle: string): Promise<Supervised> {
  const launch = () =>
    spawn(
      "unshare",
      ["--uts", "--", "sh", "-c", 'hostname "$0" && exec "$@"', name, process.execPath, ...stowageEntry(bundle)].concat(
        args,
      ),
      { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] },
    );
  return Supervised.start({ name, launch, ready });
}

export interface ChaosClusterOptions {
  machines: number;
  /** The built CLI (stowageBundle); a promise lets its build overlap the network's and etcd's start. */
  bundle: string | Promise<string>;
  dir: string;
  /** Each phase of the start with its time: where a slow start (a loaded machine) spends it. */
  log?: (line: string) => void;
}

export async function startChaosCluster(t: TestContext, options: ChaosClusterOptions): Promise<ChaosCluster> {
  const { dir } = options;
  const began = Date.now();
  const phase = (what: string) => options.log?.(`chaos: ${what} at ${Date.now() - began} ms`);
  const stopping: Supervised[] = [];
  t.after(() => Promise.all(stopping.map((s) => s.stop())));
  // The machines' network and etcd need nothing of each other: made at once.
  const [bundle, network, etcd] = await Promise.all([
    options.bundle,
    startMachines(t, options.machines, "machine"),
    startEtcd(3).then((cluster) => {
      t.after(() => cluster.stop());
      return cluster;
    }),
  ]);
  phase(`the CLI built, ${options.machines} machines and a 3-member etcd up`);
  const host = network.hostAddress;
  const store = etcd.endpoints.map((e) => e.replace("http://", "")).join(",");
  const ports = [await freePort(host), await freePort(host)];
  const servers = ports.map((port) => `https://${host}:${port}`);
  const apiservers: Supervised[] = [];
  for (const [i, port] of ports.entries()) {
    const args = ["apiserver", "--store", `etcd://${store}`, "--listen", `${host}:${port}`, "--tls-san", host];
    args.push("--data-dir", join(dir, `apiserver-${i + 1}`));
    if (i > 0) args.push("--pki-from", join(dir, "apiserver-1"));
    apiservers.push(await hostComponent(`apiserver-${i + 1}`, args, "admin kubeconfig: ", bundle));
  }
  stopping.push(...apiservers);
  phase("2 apiservers ready");
  const kubeconfig = join(dir, "cluster.kubeconfig");
  const admin = await readFile(join(dir, "apiserver-1", "kubeconfig"), "utf8");
  await writeFile(kubeconfig, admin.replace(/server: .*/, `server: ${servers.join(",")}`), { mode: 0o600 });
  const http = httpTransport(loadKubeconfig(kubeconfig));
  t.after(() => http.close());
  const client = createClient(http);
  const cloud = join(dir, "cloud");
  await mkdir(cloud, { recursive: true });
  await createStorage(client);

  const started = (list: Promise<Supervised>[]) =>
    Promise.all(list).then((components) => {
      stopping.push(...components);
      return components;
    });
  const kc = ["--kubeconfig", kubeconfig];
  const controlPlane = (command: string, i: number) =>
    hostComponent(`${command}-${i}`, [command, ...kc, ...leaseFlags.controlPlane], "started against", bundle);
  const socket = join(dir, "controller.sock");
  const driverArgs = ["csi", "block", "--endpoint", `unix://${socket}`, "--node-id", "controller"];
  const address = ["--csi-address", `unix://${socket}`, ...kc, ...leaseFlags.sidecar];
  // everything at once: on a loaded machine the starts overlap their waits (for a Lease, a driver, an informer)
  const [controllerManagers, schedulers, sidecars, nodes] = await Promise.all([
    started([1, 2].map((i) => controlPlane("controller-manager", i))),
    started([1, 2].map((i) => controlPlane("scheduler", i))),
    hostComponent("csi-block", [...driverArgs, "--state-dir", cloud], "serving", bundle).then(async (driver) => {
      stopping.push(driver);
      const sidecars = await started(
        ["csi-provisioner", "csi-attacher"].map((sidecar) =>
          hostComponent(sidecar, [sidecar, ...address], "running against", bundle),
        ),
      );
      return [driver, ...sidecars];
    }),
    Promise.all(
      network.machines.map((machine) =>
        startMachineNode(machine, {
          dataDir: join(dir, "apiserver-1"),
          dir: join(dir, machine.name),
          blockStateDir: cloud,
          servers,
          bundle,
        }),
      ),
    ),
  ]);
  t.after(() => Promise.all(nodes.map((n) => n.stop())));
  phase("controller-managers, schedulers, the block driver's controller side and node agents started");
  return {
    dir,
    etcd,
    apiservers,
    controllerManagers,
    schedulers,
    sidecars,
    nodes,
    machines: network.machines,
    cloud,
    client,
    kubeconfig,
  };
}

/** The loop devices whose backing files are in `dir`, as `losetup -l` lists them: device → backing file. */
export async function loopDevicesUnder(dir: string): Promise<Map<string, string>> {
  const { stdout } = await run("losetup", ["-n", "-O", "NAME,BACK-FILE", "-l"]);
  const devices = new Map<string, string>();
  for (const line of stdout.split("\n")) {
    const [device, backing] = line.trim().split(/\s+/, 2);
    if (device && backing?.startsWith(`${dir}/`)) devices.set(device, backing);
  }
  return devices;
}
