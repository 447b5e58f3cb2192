// The last line of defence in a process that runs every part at once: what a request handler did not turn into
// an answer (an error thrown from a socket's event, a rejected promise nobody awaited) is logged with the request
// it came from and the process keeps serving, as kube-apiserver's HandleCrash recovers a handler's panic. Each
// server runs its requests inside duringRequest(); Node keeps that context across timers, promises and events.
import { AsyncLocalStorage } from "node:async_hooks";
import type { Log } from "./log.js";

const current = new AsyncLocalStorage<string>();

/** Runs `fn` (and everything it starts) as part of `request`, e.g. "GET /api/v1/pods from 10.0.0.1". */
export function duringRequest<T>(request: string, fn: () => T): T {
  return current.run(request, fn);
}

/** The request the running code belongs to, if any. */
export function currentRequest(): string | undefined {
  return current.getStore();
}

/**
 * Logs every uncaught exception and unhandled rejection instead of exiting, naming the request it escaped from.
 * Returns the uninstaller. Installed once per process, by the command line.
 */
export function guardProcess(log: Log): () => void {
  const report = (kind: string) => (err: unknown) => {
    log(`${kind} escaped its handler; the process keeps running`, {
      request: currentRequest() ?? "(none)",
      err: err instanceof Error ? (err.stack ?? err.message) : String(err),
    });
  };
  const onException = report("an uncaught exception");
  const onRejection = report("an unhandled rejection");
  process.on("uncaughtException", onException);
  process.on("unhandledRejection", onRejection);
  return () => {
    process.off("uncaughtException", onException);
    process.off("unhandledRejection", onRejection);
  };
}
