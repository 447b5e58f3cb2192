// The chaos run: a many-machine cluster, a StatefulSet whose volumes get data files, then rounds of one fault
// each — injected, a wave of work sent while it lasts, mended, and the time until the cluster has converged again
// measured — and at the end the invariants and the data files checked. The short run in `npm test` and the long
// one (`npm run chaos`) differ only in their numbers.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { isAlreadyExists, isNotFound } from "../../client/index.js";
import { stowageBundle } from "../bundle.js";
import { unmountUnder } from "../mounts.js";
import { problems, readState, violations } from "./checks.js";
import { startChaosCluster, type ChaosCluster } from "./cluster.js";
import { faultKinds, inject, seededRandom, type FaultKind } from "./injections.js";
import { namespace, persist, setName, statefulSet, Workload, type WaveSize } from "./workload.js";
import { checkDataFiles, writeDataFiles } from "./datafiles.js";

/** STOWAGE_CHAOS_VERBOSE=1: say what convergence waits on (and who leads), once a second. */
const verbose = process.env.STOWAGE_CHAOS_VERBOSE === "1";

export interface ChaosOptions {
  seed: number;
  /** Stop after this many rounds… */
  rounds?: number;
  /** …or once this much time has passed. */
  minutes?: number;
  size: WaveSize;
  machines: number;
  /** The kinds of fault to inject first, each once, in an order drawn from the seed (default: every kind). */
  kinds?: readonly FaultKind[];
  /** How long the cluster may take to converge after a fault before the run fails. */
  convergeTimeoutMs: number;
  log: (line: string) => void;
}

export interface FaultRecord {
  round: number;
  kind: FaultKind;
  target: string;
  /** From the fault's injection until the cluster had converged again. */
  recoveredMs: number;
}

export interface ChaosReport {
  seed: number;
  faults: FaultRecord[];
  claimsCreated: number;
  podsCreated: number;
  writesAcknowledged: number;
  violations: string[];
}

/** Who holds the controller-manager's and the scheduler's Lease, and when they last renewed it. */
async function leaders(cluster: ChaosCluster): Promise<string> {
  const holder = (name: string) =>
    cluster.client.leases.get("kube-system", name).then(
      (lease) => `${lease.spec?.holderIdentity?.slice(0, 24)} renewed ${lease.spec?.renewTime?.slice(11, 23)}`,
      () => `${name} unknown`,
    );
  return `leaders ${await holder("kube-controller-manager")}, ${await holder("kube-scheduler")}`;
}

/** Waits until nothing is left to do; what was left at the deadline is the error. */
async function converged(
  cluster: ChaosCluster,
  workload: Workload,
  setExists: boolean,
  timeoutMs: number,
  say: (line: string) => void,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastSaid = Date.now();
  let left: string[] = ["not read yet"];
  while (Date.now() < deadline) {
    left = await readState(cluster)
      .then((state) => problems(state, workload, setExists))
      .catch((err: unknown) => [`state unreadable: ${String(err)}`]);
    if (left.length === 0) return;
    if (verbose && Date.now() - lastSaid > 1_000) {
      lastSaid = Date.now();
      say(`chaos: waiting on ${left.length} (${await leaders(cluster)}): ${left.slice(0, 4).join("; ")}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`not converged within ${timeoutMs} ms: ${left.slice(0, 10).join("; ")}`);
}

export async function runChaos(t: TestContext, options: ChaosOptions): Promise<ChaosReport> {
  const { log } = options;
  log(`chaos: seed ${options.seed}`);
  const random = seededRandom(options.seed);
  const bundle = stowageBundle(t);
  bundle.catch(() => undefined); // awaited by the cluster's start; a failed build fails it there
  const dir = await mkdtemp(join(tmpdir(), "stowage-chaos-"));
  let cluster: ChaosCluster;
  try {
    const started = Date.now();
    cluster = await startChaosCluster(t, { machines: options.machines, bundle, dir, log });
    log(`chaos: cluster up in ${Date.now() - started} ms`);
  } finally {
    // after the cluster's own cleanup (hooks run in the order they were added): then nothing holds the dir
    t.after(async () => {
      await unmountUnder(dir);
      await rm(dir, { recursive: true, force: true });
    });
  }
  const { client } = cluster;
  const workload = new Workload(client, options.size);
  await client.statefulSets.create(statefulSet());
  await converged(cluster, workload, true, options.convergeTimeoutMs, log);
  const data = await writeDataFiles(cluster);
  log(`chaos: ${data.size} StatefulSet data files written`);

  const faults: FaultRecord[] = [];
  const started = Date.now();
  const kinds = [...(options.kinds ?? faultKinds)];
  let setExists = true;
  for (let round = 0; ; round++) {
    if (options.rounds !== undefined && round >= options.rounds) break;
    if (options.minutes !== undefined && Date.now() - started > options.minutes * 60_000) break;
    // every kind once before any twice, in a seeded order; then at random
    const kind = kinds.length > 0 ? kinds.splice(Math.floor(random() * kinds.length), 1)[0] : pick(random);
    const injectedAt = Date.now();
    const injected = await inject(cluster, kind, random);
    const work: Array<Promise<unknown>> = [workload.wave(round)];
    if (round % 4 === 2) {
      setExists = false;
      work.push(persist("delete set", () => client.statefulSets.delete(namespace, setName), isNotFound));
    } else if (!setExists) {
      setExists = true;
      work.push(persist("create set", () => client.statefulSets.create(statefulSet()), isAlreadyExists));
    }
    await Promise.all([...work, injected.over]);
    await converged(cluster, workload, setExists, options.convergeTimeoutMs, log);
    const record = { round, kind, target: injected.target, recoveredMs: Date.now() - injectedAt };
    faults.push(record);
    log(`chaos: round ${round}: ${kind} (${injected.target}): converged ${record.recoveredMs} ms after the fault`);
  }
  if (!setExists) {
    await client.statefulSets.create(statefulSet());
    await converged(cluster, workload, true, options.convergeTimeoutMs, log);
  }
  const found = await violations(cluster, await readState(cluster), workload);
  found.push(...(await checkDataFiles(cluster, data)));
  return {
    seed: options.seed,
    faults,
    claimsCreated: workload.claimsCreated + 3,
    podsCreated: workload.podsCreated,
    writesAcknowledged: workload.acknowledged.size,
    violations: found,
  };
}

const pick = (random: () => number): FaultKind => faultKinds[Math.floor(random() * faultKinds.length)];

/** The report as lines: each fault with its recovery time, then p50 and max per kind, then the summary line. */
export function describeReport(report: ChaosReport): string[] {
  const lines = report.faults.map(
    (f) => `fault ${f.round + 1}: ${f.kind} (${f.target}): recovered in ${(f.recoveredMs / 1000).toFixed(1)} s`,
  );
  const byKind = new Map<string, number[]>();
  for (const f of report.faults) byKind.set(f.kind, [...(byKind.get(f.kind) ?? []), f.recoveredMs]);
  for (const [kind, times] of byKind) {
    const sorted = [...times].sort((a, b) => a - b);
    const p50 = sorted[Math.floor((sorted.length - 1) / 2)];
    lines.push(`${kind}: ${times.length}× recovered p50 ${p50} ms, max ${sorted[sorted.length - 1]} ms`);
  }
  const all = report.faults.map((f) => f.recoveredMs).sort((a, b) => a - b);
  const worst = all.length > 0 ? `${(all[all.length - 1] / 1000).toFixed(1)} s` : "-";
  lines.push(
    `summary: seed ${report.seed}, ${report.faults.length} faults of ${byKind.size} kinds, worst recovery ${worst}; ` +
      `${report.claimsCreated} claims and ${report.podsCreated} pods created, ` +
      `${report.writesAcknowledged} writes acknowledged; ${report.violations.length} violations`,
  );
  return lines;
}
