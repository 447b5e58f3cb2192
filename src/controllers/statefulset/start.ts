// The controller-manager's one entry for the StatefulSet controller and the garbage collector that carries out
// its claims' retention policy (and foreground/orphan deletes of pods, claims and sets).
import type { Client, InformerFactory } from "../../client/index.js";
import { createEventRecorder } from "../../client/index.js";
import { startGarbageCollector } from "../garbagecollector/controller.js";
import type { Log } from "../../support/log.js";
import { startStatefulSetController } from "./controller.js";
import { controllerRevisionResource } from "./revision.js";

export interface StatefulSetStartOptions {
  client: Client;
  informers: InformerFactory;
  resyncPeriodMs?: number;
  log: Log;
}

/** Starts both loops; resolves when the signal aborts and they have stopped. */
export async function startStatefulSetAndGarbageCollector(
  options: StatefulSetStartOptions,
  signal: AbortSignal,
): Promise<void> {
  const { client, informers, log, resyncPeriodMs } = options;
  const recorder = createEventRecorder(client.events, { component: "statefulset-controller", log });
  const { pods, persistentVolumeClaims: claims, statefulSets } = informers;
  const revisions = informers.informerFor(client.resource(controllerRevisionResource));
  // The manager has started the factory already, so these start on first use; act only on a full picture.
  await Promise.all([pods, claims, statefulSets, revisions].map((informer) => informer.waitForSync(signal)));
  await Promise.all([
    startStatefulSetController(
      { client, statefulSets, pods, claims, revisions, recorder, resyncPeriodMs, log },
      signal,
    ),
    startGarbageCollector({ client, pods, claims, statefulSets, revisions, resyncPeriodMs, log }, signal),
  ]);
  await recorder.flush();
}
