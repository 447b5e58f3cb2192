// Machines on one host: each is a network namespace (a veth pair to a bridge the test creates, its own address in a
// private 10.x.y.0/24 picked per test) and a persistent mount namespace, so what a node agent and its CSI drivers
// mount there is theirs alone, as on another machine, and survives their restarts as a machine's mounts survive a
// crashed kubelet. The host is the bridge's first address: what runs there (etcd, apiservers, controllers) is
// reached over the bridge as over a network. Names are unique per test (`stw` + 6 hex digits), so test files run in
// parallel; everything is removed in t.after, whether the test passed or not.
import { execFile, spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface Machine {
  name: string;
  /** Its address on the bridge. */
  address: string;
  /** Aborted when the machine is being removed: whatever keeps processes running on it must stop. */
  signal: AbortSignal;
  /** `ip netns` name; /run/netns/<netns>. */
  netns: string;
  /** The file its mount namespace is bound to (nsenter --mount=). */
  mountNamespace: string;
  /** Starts a process on this machine (its network and mount namespaces); nsenter execs it, so pid is the program. */
  spawn(command: string, args: string[], options?: SpawnOptions): ChildProcess;
  /** Runs a command on this machine to its end; rejects with its stderr on a non-zero exit. */
  exec(command: string, args: string[]): Promise<string>;
  /** Pulls its cable (the bridge side of its veth goes down): packets are lost, connections hang, as a partition. */
  cutNetwork(): Promise<void>;
  restoreNetwork(): Promise<void>;
  /** The mount points of this machine at or below `dir` (its own mountinfo, not the host's). */
  mountsUnder(dir: string): Promise<string[]>;
}

export interface MachineNetwork {
  bridge: string;
  /** The host's address on the bridge: listen here for the machines to reach you. */
  hostAddress: string;
  machines: Machine[];
}

const id = () => randomBytes(3).toString("hex");
const nsenterArgs = (m: { netns: string; mountNamespace: string }) => [
  `--net=/run/netns/${m.netns}`,
  `--mount=${m.mountNamespace}`,
  "--",
];

/** A 10.x.y.0/24 no interface on this host has an address in (tests pick at random, so they rarely collide). */
async function freeSubnet(): Promise<string> {
  const { stdout } = await run("ip", ["-4", "-o", "addr", "show"]);
  for (let attempt = 0; attempt < 50; attempt++) {
    const [x, y] = [...randomBytes(2)].map((b) => 100 + (b % 100));
    const prefix = `10.${x}.${y}.`;
    if (!stdout.includes(` ${prefix}`)) return prefix;
  }
  throw new Error("no free 10.x.y.0/24 for the test's machines");
}

/** mountinfo's mount points (field 5) at or below dir, deepest first. */
export function mountPointsUnder(mountinfo: string, dir: string): string[] {
  const prefix = dir.endsWith("/") ? dir : `${dir}/`;
  const unescape = (field: string) =>
    field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
  const targets = mountinfo
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => unescape(line.split(" ")[4]))
    .filter((target) => target === dir || target.startsWith(prefix));
  return [...new Set(targets)].sort((a, b) => b.length - a.length);
}

/**
 * `count` machines on a bridge of their own, removed after the test: processes started on them are SIGKILLed first,
 * then their mounts unmounted (inside their mount namespace), then namespaces, links and the bridge deleted.
 */
export async function startMachines(t: TestContext, count: number, prefix = "machine"): Promise<MachineNetwork> {
  const tag = `stw${id()}`;
  const dir = await mkdtemp(join(tmpdir(), `stowage-${tag}-`));
  const children: ChildProcess[] = [];
  const undo: Array<() => Promise<unknown>> = [];
  const step = async (cmd: string, args: string[], reverse?: () => Promise<unknown>) => {
    await run(cmd, args);
    if (reverse) undo.push(reverse);
  };
  const ignore = () => undefined;
  const removing = new AbortController();
  t.after(async () => {
    removing.abort();
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    for (const reverse of undo.reverse()) await reverse().catch(ignore);
    await rm(dir, { recursive: true, force: true }).catch(ignore);
  });
  const subnet = await freeSubnet();
  const bridge = `${tag}br`;
  const hostAddress = `${subnet}1`;
  await step("ip", ["link", "add", bridge, "type", "bridge"], () => run("ip", ["link", "del", bridge]));
  await step("ip", ["addr", "add", `${hostAddress}/24`, "dev", bridge]);
  await step("ip", ["link", "set", bridge, "up"]);
  // The mount namespace files live on a private bind mount of the test's dir: the kernel refuses to bind a mount
  // namespace onto a mount that propagates (it would loop back into itself).
  await step("mount", ["--bind", dir, dir], () => run("umount", ["-l", dir]));
  await step("mount", ["--make-private", dir]);
  const machines: Machine[] = [];
  for (let i = 0; i < count; i++) {
    const name = `${prefix}-${i + 1}`;
    const netns = `${tag}-${i + 1}`;
    const hostSide = `${tag}h${i + 1}`;
    const address = `${subnet}${10 + i}`;
    const mountNamespace = join(dir, `${name}.mnt`);
    const inside = (...args: string[]) => run("ip", ["netns", "exec", netns, ...args]);
    await step("ip", ["netns", "add", netns], () => run("ip", ["netns", "del", netns]));
    await step("ip", ["link", "add", hostSide, "type", "veth", "peer", "name", `${tag}n${i + 1}`]);
    undo.push(() => run("ip", ["link", "del", hostSide]));
    await step("ip", ["link", "set", `${tag}n${i + 1}`, "netns", netns]);
    await inside("ip", "link", "set", `${tag}n${i + 1}`, "name", "eth0");
    await inside("ip", "addr", "add", `${address}/24`, "dev", "eth0");
    await inside("ip", "link", "set", "eth0", "up");
    await inside("ip", "link", "set", "lo", "up");
    await step("ip", ["link", "set", hostSide, "master", bridge]);
    await step("ip", ["link", "set", hostSide, "up"]);
    // slave: the host's later mounts (a test's temp dirs) still appear inside; the machine's never leak out.
    await writeFile(mountNamespace, "");
    await step("unshare", [`--mount=${mountNamespace}`, "--propagation", "slave", "true"], async () => {
      // Unmount what the machine left (lazily: a dead agent's mounts may be busy), then let the namespace go.
      // Only its own: the host's mounts it sees (as a slave) are not its to undo.
      const { stdout } = await run("nsenter", [`--mount=${mountNamespace}`, "--", "cat", "/proc/self/mountinfo"]);
      const host = new Set(mountPointsUnder(await readFile("/proc/self/mountinfo", "utf8"), tmpdir()));
      for (const target of mountPointsUnder(stdout, tmpdir())) {
        if (host.has(target)) continue;
        await run("nsenter", [`--mount=${mountNamespace}`, "--", "umount", "-l", target]).catch(ignore);
      }
      await run("umount", [mountNamespace]);
    });
    const machine: Machine = {
      name,
      address,
      signal: removing.signal,
      netns,
      mountNamespace,
      spawn(command, args, options = {}) {
        const child = spawn("nsenter", [...nsenterArgs(machine), command, ...args], options);
        children.push(child);
        return child;
      },
      async exec(command, args) {
        const { stdout } = await run("nsenter", [...nsenterArgs(machine), command, ...args], {
          maxBuffer: 16 * 1024 * 1024,
        });
        return stdout;
      },
      cutNetwork: () => run("ip", ["link", "set", hostSide, "down"]).then(ignore),
      restoreNetwork: () => run("ip", ["link", "set", hostSide, "up"]).then(ignore),
      async mountsUnder(under) {
        return mountPointsUnder(await machine.exec("cat", ["/proc/self/mountinfo"]), under);
      },
    };
    machines.push(machine);
  }
  return { bridge, hostAddress, machines };
}
