// `stowage scheduler --kubeconfig <file>`: the scheduler (src/scheduler) against a (possibly remote) apiserver over
// HTTP. `stowage up` runs the same scheduler in-process (schedulerComponent).
import { untilStopSignal } from "./signals.js";
import type { Command } from "commander";
import { LeaderElector, createClient, defaultIdentity, httpTransport } from "../client/index.js";
import { AllAuthenticated, KubeScheduler } from "../api/user.js";
import type { Started } from "../client/index.js";
import { DefaultSchedulerName, startScheduler } from "../scheduler/scheduler.js";
import { kubeconfigFlag, positiveIntFlag } from "./flags.js";
import { addLeaderElectFlags, leaderElection, type LeaderElectFlags } from "./leaderelectflags.js";
import type { UpComponent } from "./component.js";
import { addSecureServingFlags, serveSecureMetrics, type SecureServingFlags } from "./securemetrics.js";

const userAgent = "stowage-scheduler";

interface Flags extends LeaderElectFlags, SecureServingFlags {
  kubeconfig: string;
  schedulerName: string;
  bindTimeout: number;
}

/** Upstream's kube-scheduler takes the Lease kube-system/kube-scheduler. */
export const schedulerLease = { namespace: "kube-system", name: "kube-scheduler" };

export function registerScheduler(program: Command): void {
  const command = program
    .command("scheduler")
    .description("bind pending pods to nodes, with volume binding (WaitForFirstConsumer, node affinity, limits)")
    .requiredOption("--kubeconfig <file>", "kubeconfig of the apiserver to connect to")
    .option("--scheduler-name <name>", "schedule pods whose spec.schedulerName is this", DefaultSchedulerName)
    .option("--bind-timeout <seconds>", "how long a pod waits for its claims to be bound", positiveIntFlag, 600);
  addSecureServingFlags(command, 10259);
  addLeaderElectFlags(command, schedulerLease).action(async (flags: Flags) => {
    let lease: ReturnType<typeof leaderElection>;
    try {
      lease = leaderElection(flags);
    } catch (err) {
      program.error(`error: ${(err as Error).message}`, { exitCode: 2 });
    }
    const kubeconfig = kubeconfigFlag(program, flags.kubeconfig);
    const transport = httpTransport(kubeconfig);
    const client = createClient(transport, { userAgent });
    const abort = new AbortController();
    const options = {
      client,
      schedulerName: flags.schedulerName,
      bindTimeoutMs: flags.bindTimeout * 1000,
    };
    const metrics = await serveSecureMetrics(flags, client, "kube-scheduler").catch((err: Error) =>
      program.error(`error: --secure-port: ${err.message}`, { exitCode: 1 }),
    );
    if (metrics) console.log(`serving /metrics on ${metrics.url}`);
    // Stopping is aborting the scheduler's signal (ours, or its leadership's) and waiting for it to drain.
    let scheduler: Started | undefined;
    let electing: Promise<void> = Promise.resolve();
    if (!flags.leaderElect) {
      scheduler = await startScheduler(options, abort.signal);
      console.log(`stowage scheduler running against ${kubeconfig.server}`);
    } else {
      console.log(`stowage scheduler started against ${kubeconfig.server} (leader election on)`);
      // Only the holder of the Lease schedules: two schedulers would race for the same PVs and pods.
      electing = (async () => {
        while (!abort.signal.aborted) {
          await new LeaderElector({
            leases: client.leases,
            ...lease,
            identity: defaultIdentity(),
            async onStartedLeading(leadership) {
              scheduler = await startScheduler(options, leadership);
            },
          }).run(abort.signal);
          await scheduler?.done;
        }
      })();
    }
    await untilStopSignal(() => {
      abort.abort();
      return Promise.all([scheduler?.done, electing, metrics?.close()]).finally(() => transport.close());
    });
  });
}

/** The scheduler inside `stowage up`: in-process transport (no sockets). */
export const schedulerComponent: UpComponent = {
  name: "scheduler",
  async start(ctx) {
    const client = createClient(ctx.transport({ name: KubeScheduler, groups: [AllAuthenticated] }), { userAgent });
    const stopping = new AbortController();
    const scheduler = await startScheduler(
      { client, log: (message, fields) => ctx.log(`scheduler: ${message} ${JSON.stringify(fields)}`) },
      AbortSignal.any([ctx.signal, stopping.signal]),
    );
    return {
      async stop() {
        stopping.abort();
        await scheduler.done;
      },
    };
  },
};
