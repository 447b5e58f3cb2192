// `stowage scheduler --kubeconfig <file>`: the scheduler (src/scheduler) against a (possibly remote) apiserver over
// HTTP. `stowage up` runs the same scheduler in-process (schedulerComponent).
import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import { createClient, httpTransport, inProcessTransport, loadKubeconfig } from "../client/index.js";
import type { Kubeconfig } from "../client/index.js";
import { DefaultSchedulerName, startScheduler } from "../scheduler/scheduler.js";
import type { UpComponent } from "./up.js";

const userAgent = "stowage-scheduler";

function positiveInt(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new InvalidArgumentError(`"${text}" is not a positive integer`);
  return Number(text);
}

interface Flags {
  kubeconfig: string;
  schedulerName: string;
  bindTimeout: number;
}

export function registerScheduler(program: Command): void {
  program
    .command("scheduler")
    .description("bind pending pods to nodes, with volume binding (WaitForFirstConsumer, node affinity, limits)")
    .requiredOption("--kubeconfig <file>", "kubeconfig of the apiserver to connect to")
    .option("--scheduler-name <name>", "schedule pods whose spec.schedulerName is this", DefaultSchedulerName)
    .option("--bind-timeout <seconds>", "how long a pod waits for its claims to be bound", positiveInt, 600)
    .action(async (flags: Flags) => {
      let kubeconfig: Kubeconfig;
      try {
        kubeconfig = loadKubeconfig(flags.kubeconfig);
      } catch (err) {
        program.error(`error: --kubeconfig: ${(err as Error).message}`, { exitCode: 2 });
      }
      const transport = httpTransport(kubeconfig);
      const client = createClient(transport, { userAgent });
      const abort = new AbortController();
      const scheduler = await startScheduler({
        client,
        signal: abort.signal,
        schedulerName: flags.schedulerName,
        bindTimeoutMs: flags.bindTimeout * 1000,
      });
      console.log(`stowage scheduler running against ${kubeconfig.server}`);
      await new Promise<void>((done) => {
        const stop = () => {
          process.off("SIGINT", stop);
          process.off("SIGTERM", stop);
          abort.abort();
          void scheduler.stop().finally(() => {
            transport.close();
            done();
          });
        };
        process.on("SIGINT", stop);
        process.on("SIGTERM", stop);
      });
    });
}

/** The scheduler inside `stowage up`: in-process transport (no sockets). */
export const schedulerComponent: UpComponent = {
  name: "scheduler",
  async start(ctx) {
    const client = createClient(inProcessTransport(ctx.handler), { userAgent });
    const scheduler = await startScheduler({
      client,
      signal: ctx.signal,
      log: (message, fields) => ctx.log(`scheduler: ${message} ${JSON.stringify(fields)}`),
    });
    return { stop: () => scheduler.stop() };
  },
};
