// Reading Prometheus text in tests, to wait for the event that proves "nothing happened": a component's pass counter
// or its work queue having processed a change, instead of a guessed sleep.
import { register } from "prom-client";
import { eventually } from "./stowage.js";

export type Labels = Record<string, string>;
/** Prometheus text exposition: /metrics of a component, or this process's registry. */
export type Scrape = () => Promise<string>;

/** This process's registry: every in-process component (agent, controllers, sidecars) registers there. */
export const inProcess: Scrape = () => register.metrics();

/** A component's --http-endpoint (plain HTTP, metrics only). */
export const fromUrl =
  (url: string): Scrape =>
  async () =>
    (await fetch(url)).text();

/** The sum of every sample of `name` whose labels include `labels` (0 when there is none). */
export function sample(text: string, name: string, labels: Labels = {}): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have: Labels = {};
    for (const [, key, value] of (match[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) have[key] = value;
    if (Object.entries(labels).every(([key, value]) => have[key] === value)) sum += Number(match[3]);
  }
  return sum;
}

/**
 * Waits until the counter has moved `by` past its value now: with a counter that moves when a pass ends, `by: 2`
 * proves one whole pass began after this call.
 */
export async function untilCounterMoves(
  scrape: Scrape,
  name: string,
  labels: Labels,
  by = 2,
  timeoutMs = 20_000,
): Promise<void> {
  const from = sample(await scrape(), name, labels);
  await eventually(async () => (sample(await scrape(), name, labels) >= from + by ? true : undefined), timeoutMs);
}

/** What a work queue has been given so far: pass it to untilQueueIdle after causing the change. */
export async function queueAdds(scrape: Scrape, queue: string): Promise<number> {
  return sample(await scrape(), "workqueue_adds_total", { name: queue });
}

/**
 * Waits until the queue was given something since `addsBefore` and has nothing waiting or in progress: the change
 * made after reading `addsBefore` has been handled (client-go's queue counts an add only for a key not already
 * waiting, and a waiting key is processed before the queue goes idle).
 */
export async function untilQueueIdle(scrape: Scrape, queue: string, addsBefore: number, timeoutMs = 20_000) {
  await eventually(async () => {
    const text = await scrape();
    const labels = { name: queue };
    const added = sample(text, "workqueue_adds_total", labels) > addsBefore;
    const idle =
      sample(text, "workqueue_depth", labels) === 0 && sample(text, "workqueue_unfinished_work_seconds", labels) === 0;
    return added && idle ? true : undefined;
  }, timeoutMs);
}
