// `stowage controller-manager --kubeconfig <file> [--leader-elect=false]`: the control loops of src/controllers against
// a (possibly remote) apiserver over HTTP, while holding the Lease kube-system/kube-controller-manager (as upstream:
// run two for availability; --leader-elect=false runs the loops unconditionally). `stowage up` runs the same loops in-process (controllerManagerComponent).
import { InvalidArgumentError, type Command } from "commander";
import { untilStopSignal } from "./signals.js";
import { createClient, httpTransport } from "../client/index.js";
import { AllAuthenticated, KubeControllerManager, serviceAccountUserInfo } from "../api/user.js";
import { startControllerManager, type ControllerManagerOptions } from "../controllers/manager.js";
import { durationFlag, kubeconfigFlag, positiveIntFlag } from "./flags.js";
import { addLeaderElectFlags, leaderElection, type LeaderElectFlags } from "./leaderelectflags.js";
import type { UpComponent, UpContext } from "./component.js";
import { addSecureServingFlags, serveSecureMetrics, type SecureServingFlags } from "./securemetrics.js";
import { backupControllerLoop, kubeconfigExecutor, upHookExecutor } from "./backupcontroller.js";

const userAgent = "stowage-controller-manager";

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function positiveDurationFlag(text: string): number {
  const ms = durationFlag(text);
  if (ms <= 0) throw new InvalidArgumentError(`"${text}" must be longer than zero`);
  return ms;
}

interface Flags extends LeaderElectFlags, SecureServingFlags {
  kubeconfig: string;
  workers: number;
  resyncPeriod: number;
  hostpathReclaimRoot?: string[];
  nodeMonitorGracePeriod: number;
  nodeMonitorPeriod: number;
  nodeFenceGrace: number;
}

export function registerControllerManager(program: Command): void {
  const command = program
    .command("controller-manager")
    .description(
      "run the controllers (PV binder, pvc/pv protection, attach-detach, expand, snapshot, workloads, gc, backup) against an apiserver",
    )
    .requiredOption("--kubeconfig <file>", "kubeconfig of the apiserver to connect to")
    .option("--workers <n>", "concurrent syncs per PV binder queue", positiveIntFlag, 16)
    .option("--resync-period <seconds>", "how often every claim and volume is revisited", positiveIntFlag, 15)
    .option(
      "--hostpath-reclaim-root <dir>",
      "directory under which Delete/Recycle may remove or scrub hostPath volumes (repeatable; default /tmp)",
      collect,
    )
    .option(
      "--node-monitor-grace-period <duration>",
      "how long a node may go without renewing its Lease before it is marked NotReady",
      positiveDurationFlag,
      40_000,
    )
    .option("--node-monitor-period <duration>", "how often node health is checked", positiveDurationFlag, 5_000)
    .option(
      "--node-fence-grace <duration>",
      "how long a node's Lease may stand still before the node is tainted out-of-service, its pods deleted and its " +
        "volumes detached (longer than the nodes' --fence-after; 0 turns fencing off; docs/fencing.md)",
      durationFlag,
      15_000,
    );
  addSecureServingFlags(command, 10257);
  addLeaderElectFlags(command, { namespace: "kube-system", name: "kube-controller-manager" }).action(
    async (flags: Flags) => {
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
      const manager = await startControllerManager({
        client,
        signal: abort.signal,
        leaderElect: flags.leaderElect ? lease : false,
        workers: flags.workers,
        resyncPeriodMs: flags.resyncPeriod * 1000,
        hostPathReclaimRoots: flags.hostpathReclaimRoot ?? ["/tmp"],
        nodeMonitorGracePeriodMs: flags.nodeMonitorGracePeriod,
        nodeMonitorPeriodMs: flags.nodeMonitorPeriod,
        nodeFenceGraceMs: flags.nodeFenceGrace,
        extraLoops: [backupControllerLoop(kubeconfigExecutor(kubeconfig))],
      });
      const metrics = await serveSecureMetrics(flags, client, "kube-controller-manager").catch((err: Error) =>
        program.error(`error: --secure-port: ${err.message}`, { exitCode: 1 }),
      );
      if (metrics) console.log(`serving /metrics on ${metrics.url}`);
      console.log(
        flags.leaderElect
          ? `stowage controller-manager started against ${kubeconfig.server} (leader election on)`
          : `stowage controller-manager running against ${kubeconfig.server}`,
      );
      await untilStopSignal(() => {
        abort.abort();
        return Promise.all([manager.stop(), metrics?.close()]).finally(() => transport.close());
      });
    },
  );
}

/**
 * The controller-manager's clients inside `stowage up`: the shared informers as kube-controller-manager, each loop
 * as its own ServiceAccount (kube-system/<loop>), as kubeadm runs it with --use-service-account-credentials.
 */
export function controllerManagerClients(ctx: UpContext): Pick<ControllerManagerOptions, "client" | "clientFor"> {
  return {
    client: createClient(ctx.transport({ name: KubeControllerManager, groups: [AllAuthenticated] }), { userAgent }),
    clientFor: (serviceAccount) =>
      createClient(ctx.transport(serviceAccountUserInfo("kube-system", serviceAccount)), {
        userAgent: `${userAgent}/${serviceAccount}`,
      }),
  };
}

/** The controller-manager inside `stowage up`: same loops, in-process transport (no sockets). */
export const controllerManagerComponent: UpComponent = {
  name: "controller-manager",
  async start(ctx) {
    const manager = await startControllerManager({
      ...controllerManagerClients(ctx),
      signal: ctx.signal,
      // A Delete or Recycle reclaim never reaches the data dir (stowage.db), even under an allowed root.
      protectedPaths: [ctx.dataDir],
      hostPathReclaimRoots: ctx.hostPathReclaimRoots,
      extraLoops: [backupControllerLoop(upHookExecutor(ctx))],
      log: (message, fields) => ctx.log(`controller-manager: ${message} ${JSON.stringify(fields)}`),
    });
    return { stop: () => manager.stop() };
  },
};
