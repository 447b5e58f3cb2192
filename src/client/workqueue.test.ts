import assert from "node:assert/strict";
import { test } from "node:test";
import { ControllerRateLimiter, TokenBucket } from "./ratelimiter.js";
import { WorkQueue } from "./workqueue.js";

const quiet = (): void => {};

/** Runs the queue until `count` keys were processed; resolves with them in the order they ran. */
async function firstKeys(queue: WorkQueue<string>, count: number): Promise<string[]> {
  const seen: string[] = [];
  const controller = new AbortController();
  await queue.work(controller.signal, (key) => {
    seen.push(key);
    if (seen.length === count) controller.abort();
  });
  return seen;
}

test("a key added many times while waiting is processed once", async () => {
  const queue = new WorkQueue<string>({ log: quiet });
  for (let i = 0; i < 5; i++) queue.add("default/data");
  queue.add("default/logs");
  assert.equal(queue.len(), 2);
  assert.deepEqual(await firstKeys(queue, 2), ["default/data", "default/logs"]);
});

test("a key is never processed by two workers at once, and a re-add during processing runs again after", async () => {
  const queue = new WorkQueue<string>({ log: quiet });
  const controller = new AbortController();
  let running = 0;
  let maxRunning = 0;
  let runs = 0;
  let release!: () => void;
  const firstRunBlocked = new Promise<void>((resolve) => (release = resolve));
  let signalStarted!: () => void;
  const started = new Promise<void>((resolve) => (signalStarted = resolve));
  const worked = queue.work(
    controller.signal,
    async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      runs++;
      if (runs === 1) {
        signalStarted();
        await firstRunBlocked;
      }
      running--;
      if (runs === 2) controller.abort();
    },
    4,
  );
  queue.add("k");
  await started;
  queue.add("k"); // while processing: marked dirty, not handed to the 3 idle workers
  queue.add("k");
  assert.equal(queue.len(), 0);
  release();
  await worked;
  assert.equal(runs, 2);
  assert.equal(maxRunning, 1);
});

/** Syncs "default/data" with `step` until it says "done"; how many attempts that took, and the requeues then. */
async function syncUntilDone(
  queue: WorkQueue<string>,
  step: (attempt: number, key: string) => "done" | undefined,
): Promise<{ attempts: number; requeuesSeen: number }> {
  const controller = new AbortController();
  let attempts = 0;
  let requeuesSeen = -1;
  const worked = queue.work(controller.signal, (key) => {
    if (step(++attempts, key) !== "done") return;
    requeuesSeen = queue.numRequeues(key);
    controller.abort();
  });
  queue.add("default/data");
  await worked;
  return { attempts, requeuesSeen };
}

test("a key whose sync throws is retried with backoff until it succeeds", async () => {
  const queue = new WorkQueue<string>({ log: quiet });
  const { attempts, requeuesSeen } = await syncUntilDone(queue, (attempt) => {
    if (attempt < 4) throw new Error("apiserver said no");
    return "done";
  });
  assert.equal(attempts, 4);
  assert.equal(requeuesSeen, 3);
  assert.equal(queue.numRequeues("default/data"), 0, "a sync that returns resets the key's backoff");
});

test("a sync that asks for a rate-limited retry itself keeps its growing backoff", async () => {
  const queue = new WorkQueue<string>({ log: quiet });
  const { attempts, requeuesSeen } = await syncUntilDone(queue, (attempt, key) => {
    if (attempt >= 3) return "done";
    queue.addRateLimited(key); // "not yet": e.g. waiting on another object
    return undefined;
  });
  assert.equal(attempts, 3);
  assert.equal(requeuesSeen, 2, "the two deliberate retries were not forgotten in between");
});

test("per-key backoff doubles from 5 ms to the cap, independently per key, and forget resets it", () => {
  const limiter = new ControllerRateLimiter<string>({ qps: 0, maxDelayMs: 60 });
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6].map(() => limiter.when("a")),
    [5, 10, 20, 40, 60, 60],
  );
  assert.equal(limiter.when("b"), 5);
  assert.equal(limiter.numRequeues("a"), 6);
  limiter.forget("a");
  assert.equal(limiter.when("a"), 5);
});

test("the overall bucket allows a burst of 100 retries, then 10 per second", () => {
  let now = 0;
  const bucket = new TokenBucket(10, 100, () => now);
  for (let i = 0; i < 100; i++) assert.equal(bucket.reserve(), 0);
  assert.equal(bucket.reserve(), 100);
  assert.equal(bucket.reserve(), 200);
  now = 1000; // ten tokens refilled, three owed
  assert.equal(Math.round(bucket.reserve()), 0);
  const limiter = new ControllerRateLimiter<number>({ now: () => now });
  for (let i = 0; i < 100; i++) limiter.when(i);
  assert.equal(limiter.when(1000), 100); // the bucket's delay wins over the key's first 5 ms
});

test("addAfter keeps the earliest of several delays for a key", async () => {
  const queue = new WorkQueue<string>({ log: quiet });
  queue.addAfter("late", 30_000);
  queue.addAfter("late", 1); // earlier: replaces the 30 s timer
  queue.addAfter("later", 40);
  assert.deepEqual(await firstKeys(queue, 2), ["late", "later"]);
});

test("shutdown with drain finishes every queued key; without drain only the ones in flight", async () => {
  for (const drain of [true, false]) {
    const queue = new WorkQueue<number>({ log: quiet });
    const done: number[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    for (let i = 0; i < 5; i++) queue.add(i);
    const worked = queue.work(new AbortController().signal, async (key) => {
      if (key === 0) await gate;
      done.push(key);
    });
    await new Promise((resolve) => setImmediate(resolve)); // worker holds key 0
    const stopped = queue.shutdown({ drain });
    queue.add(99); // refused after shutdown
    release();
    await stopped;
    await worked;
    assert.deepEqual(done, drain ? [0, 1, 2, 3, 4] : [0], `drain=${drain}`);
  }
});

test("shutdown drops delayed retries so nothing keeps the process alive", async () => {
  const queue = new WorkQueue<string>({ log: quiet });
  queue.addAfter("x", 60_000);
  queue.addRateLimited("y");
  await queue.shutdown();
  assert.equal(queue.len(), 0);
  // node:test would hang past its timeout here if a 60 s timer were still pending.
});

test("work with N workers processes N different keys at the same time", async () => {
  const queue = new WorkQueue<string>({ log: quiet });
  const controller = new AbortController();
  let running = 0;
  let releaseAll!: () => void;
  const gate = new Promise<void>((resolve) => (releaseAll = resolve));
  let reachedThree!: () => void;
  const three = new Promise<void>((resolve) => (reachedThree = resolve));
  let finished = 0;
  const worked = queue.work(
    controller.signal,
    async () => {
      if (++running === 3) reachedThree();
      await gate;
      if (++finished === 3) controller.abort();
    },
    3,
  );
  for (const key of ["a", "b", "c"]) queue.add(key);
  await three; // would never resolve if the workers ran one key at a time
  releaseAll();
  await worked;
  assert.equal(finished, 3);
});

/** Takes `count` keys one by one, as a worker would, leaving the queue running. */
async function takeKeys(queue: WorkQueue<string>, count: number): Promise<string[]> {
  const keys: string[] = [];
  for (let i = 0; i < count; i++) {
    const key = await queue.get();
    assert.ok(key !== undefined);
    keys.push(key);
    queue.done(key);
  }
  return keys;
}

test("a resync adds every key once, and skips while its previous pass is still being worked through", async () => {
  const queue = new WorkQueue<string>({ log: quiet });
  queue.add("a"); // already waiting: the pass de-duplicates it
  assert.equal(queue.resync(["a", "b", "c"]), true);
  assert.equal(queue.len(), 3);
  // Still queued: a second pass would add nothing new and is skipped, however often the period comes round.
  assert.equal(queue.resync(["a", "b", "c", "d"]), false);
  assert.equal(queue.len(), 3);
  assert.deepEqual(await takeKeys(queue, 2), ["a", "b"]);
  assert.equal(queue.resync(["a", "b", "c", "d"]), false); // "c" of the first pass has not run yet
  assert.equal(queue.len(), 1);
  await queue.shutdown();
});

test("once a resync pass has been worked through, the next pass adds every key again", async () => {
  const queue = new WorkQueue<string>({ log: quiet });
  assert.equal(queue.resync(["a", "b"]), true);
  assert.deepEqual(await takeKeys(queue, 2), ["a", "b"]);
  assert.equal(queue.resync(["a", "b", "c"]), true);
  assert.deepEqual(await takeKeys(queue, 3), ["a", "b", "c"]);
  await queue.shutdown();
});
