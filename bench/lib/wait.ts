// Waits with a deadline, for benches: a step that never comes fails the bench (BenchTimeout) instead of spinning.
import { setTimeout as sleep } from "node:timers/promises";
import { BenchTimeout } from "./bench.js";

/** Resolves with `promise`, or throws BenchTimeout naming `what` once `ms` have passed. */
export async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new BenchTimeout(`${what}: not done after ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Polls `check` until it holds, for state only a read can prove (mounts in /proc, a driver's volume list), every
 * `everyMs`, or throws BenchTimeout after `ms`. What a watch can prove is waited for on the watch instead.
 */
export async function pollUntil(ms: number, what: string, check: () => Promise<boolean>, everyMs = 20): Promise<void> {
  const deadline = performance.now() + ms;
  while (!(await check())) {
    if (performance.now() > deadline) throw new BenchTimeout(`${what}: not done after ${ms / 1000} s`);
    await sleep(everyMs);
  }
}
