import assert from "node:assert/strict";
import { test } from "node:test";
import { register } from "prom-client";
import { WorkQueue } from "./workqueue.js";

/** The value of one series of a workqueue metric for the queue named `name`. */
async function series(metric: string, name: string, suffix = ""): Promise<number> {
  const found = await register.getSingleMetric(metric)?.get();
  const value = found?.values.find(
    (v) => v.labels.name === name && (suffix === "" || ("metricName" in v && v.metricName === metric + suffix)),
  );
  return value?.value ?? 0;
}

test("a key added again while it waits counts as one add and one wait, as client-go's queue counts", async () => {
  const name = "metrics-dedup";
  const queue = new WorkQueue<string>({ name, log: () => undefined });
  for (let i = 0; i < 1000; i++) queue.add("default/data");
  assert.equal(await series("workqueue_adds_total", name), 1);
  assert.equal(await series("workqueue_depth", name), 1);

  const controller = new AbortController();
  await queue.work(controller.signal, () => controller.abort());
  assert.equal(await series("workqueue_queue_duration_seconds", name, "_count"), 1);
  assert.equal(await series("workqueue_work_duration_seconds", name, "_count"), 1);
});

test("a key added again while it is processed counts a second add and runs a second time", async () => {
  const name = "metrics-processing";
  const queue = new WorkQueue<string>({ name, log: () => undefined });
  const controller = new AbortController();
  let runs = 0;
  queue.add("k");
  await queue.work(controller.signal, () => {
    if (++runs === 1)
      for (let i = 0; i < 10; i++) queue.add("k"); // dirty once, however often
    else controller.abort();
  });
  assert.equal(runs, 2);
  assert.equal(await series("workqueue_adds_total", name), 2);
  assert.equal(await series("workqueue_queue_duration_seconds", name, "_count"), 2);
  assert.equal(await series("workqueue_work_duration_seconds", name, "_count"), 2);
});
