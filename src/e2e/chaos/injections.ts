// The faults the chaos test injects, one kind at a time, each aimed by a seeded random choice: kill -9 of a
// component (an etcd member or the etcd leader, an apiserver, the current leader of the controller-managers or schedulers, a CSI
// sidecar, a node agent or a node's driver), SIGSTOP of a leader (or a CSI sidecar, the block driver's controller side among them) for longer than its Lease, and a machine's cable
// pulled. `inject` breaks; the promise it returns mends (restarts an etcd member, sends SIGCONT, puts the cable
// back) once the fault has lasted its time. Supervised processes are started again by their supervisor.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { EtcdMember } from "../../store/testing/etcdserver.js";
import type { ChaosCluster } from "./cluster.js";
import { leaseFlags } from "./cluster.js";
import type { Supervised } from "../supervised.js";

export const faultKinds = [
  "kill etcd member",
  "kill etcd leader",
  "kill apiserver",
  "kill controller-manager leader",
  "kill scheduler leader",
  "freeze controller-manager leader",
  "freeze scheduler leader",
  "cut machine network",
  "kill node agent",
  "kill csi sidecar",
  "freeze csi sidecar",
  "kill node driver",
] as const;
export type FaultKind = (typeof faultKinds)[number];

export interface Injected {
  kind: FaultKind;
  target: string;
  /** Resolves once the fault is over (what needs mending by hand is mended). */
  over: Promise<void>;
}

/** A small seeded generator (mulberry32): the same seed injects the same faults into the same targets. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The component holding a Lease (its hostname is the identity's prefix), else a random one of them. */
async function leaderOf(
  cluster: ChaosCluster,
  lease: string,
  components: Supervised[],
  random: () => number,
): Promise<Supervised> {
  const holder = await cluster.client.leases
    .get("kube-system", lease)
    .then((l) => l.spec?.holderIdentity?.split("_")[0])
    .catch(() => undefined);
  return components.find((c) => c.name === holder) ?? components[Math.floor(random() * components.length)];
}

/** The etcd member that leads the raft group now (`etcdctl endpoint status`: the member whose id is the leader's). */
async function etcdLeader(cluster: ChaosCluster): Promise<EtcdMember> {
  const endpoints = cluster.etcd.members.map((m) => m.clientUrl).join(",");
  const { stdout } = await run("etcdctl", ["--endpoints", endpoints, "endpoint", "status", "-w", "json"], {
    env: { ...process.env, ETCDCTL_API: "3" },
  });
  const statuses = JSON.parse(stdout) as Array<{
    Endpoint: string;
    Status: { header: { member_id: number }; leader: number };
  }>;
  // ids are uint64: JSON.parse rounds both sides the same way, so equal ids stay equal
  const leader = statuses.find((s) => s.Status.header.member_id === s.Status.leader);
  const member = cluster.etcd.members.find((m) => m.clientUrl === leader?.Endpoint);
  if (!member) throw new Error(`no etcd leader in ${stdout}`);
  return member;
}

function pick<T>(list: T[], random: () => number): T {
  return list[Math.floor(random() * list.length)];
}

async function kill(component: Supervised): Promise<Omit<Injected, "kind">> {
  await component.kill9();
  return { target: component.name, over: component.ready() };
}

async function freeze(component: Supervised): Promise<Omit<Injected, "kind">> {
  const frozen = await component.freeze();
  // past the Lease: the others take it over while this one sleeps, and it must notice at once when it wakes
  const over = sleep(leaseFlags.durationMs + 2_000).then(() => frozen.resume());
  return { target: component.name, over };
}

export async function inject(cluster: ChaosCluster, kind: FaultKind, random: () => number): Promise<Injected> {
  const injected = await (async (): Promise<Omit<Injected, "kind">> => {
    switch (kind) {
      case "kill etcd member": {
        const member = pick(cluster.etcd.members, random);
        member.kill();
        return { target: member.name, over: sleep(2_000).then(() => member.restart()) };
      }
      case "kill etcd leader": {
        const member = await etcdLeader(cluster);
        member.kill();
        return { target: `${member.name} (leader)`, over: sleep(2_000).then(() => member.restart()) };
      }
      case "kill apiserver":
        return kill(pick(cluster.apiservers, random));
      case "kill controller-manager leader":
        return kill(await leaderOf(cluster, "kube-controller-manager", cluster.controllerManagers, random));
      case "kill scheduler leader":
        return kill(await leaderOf(cluster, "kube-scheduler", cluster.schedulers, random));
      case "freeze controller-manager leader":
        return freeze(await leaderOf(cluster, "kube-controller-manager", cluster.controllerManagers, random));
      case "freeze scheduler leader":
        return freeze(await leaderOf(cluster, "kube-scheduler", cluster.schedulers, random));
      case "cut machine network": {
        const machine = pick(cluster.machines, random);
        await machine.cutNetwork();
        return { target: machine.name, over: sleep(5_000).then(() => machine.restoreNetwork()) };
      }
      case "kill node agent":
        return kill(pick(cluster.nodes, random).agent);
      case "kill csi sidecar":
        return kill(pick(cluster.sidecars, random));
      case "freeze csi sidecar":
        return freeze(pick(cluster.sidecars, random));
      case "kill node driver":
        return kill(pick(cluster.nodes, random).driver);
    }
  })();
  return { kind, ...injected };
}
