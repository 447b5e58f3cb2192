// The pod phase from its containers (kubelet_pods.go getPhase), one row per case a reader can check upstream.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { ContainerStatus, Pod, RestartPolicy } from "../api/core/types.js";
import { podPhase } from "./podstatus.js";

const running: ContainerStatus["state"] = { running: { startedAt: "2026-01-01T00:00:00Z" } };
const exited = (exitCode: number): ContainerStatus["state"] => ({ terminated: { exitCode } });
const waiting: ContainerStatus["state"] = { waiting: { reason: "ContainerCreating" } };
const status = (state: ContainerStatus["state"], lastState: ContainerStatus["lastState"] = {}): ContainerStatus => ({
  name: "c",
  state,
  lastState,
  ready: false,
  restartCount: 0,
  image: "",
  imageID: "",
});
const pod = (restartPolicy: RestartPolicy): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "p" },
  spec: { restartPolicy, containers: [] },
});
const crashLoop = status({ waiting: { reason: "CrashLoopBackOff" } }, exited(1));

const cases: {
  name: string;
  policy: RestartPolicy;
  init?: ContainerStatus[];
  containers: ContainerStatus[];
  want: string;
}[] = [
  {
    name: "a container not started yet keeps the pod Pending",
    policy: "Always",
    containers: [status(waiting)],
    want: "Pending",
  },
  {
    name: "a running init container keeps the pod Pending",
    policy: "Always",
    init: [status(running)],
    containers: [status(waiting)],
    want: "Pending",
  },
  {
    name: "a failed init container fails the pod under Never",
    policy: "Never",
    init: [status(exited(1))],
    containers: [status(waiting)],
    want: "Failed",
  },
  {
    name: "a failed init container is retried under OnFailure: Pending",
    policy: "OnFailure",
    init: [status(exited(1))],
    containers: [status(waiting)],
    want: "Pending",
  },
  {
    name: "one running container makes the pod Running",
    policy: "Never",
    containers: [status(running), status(exited(0))],
    want: "Running",
  },
  {
    name: "all exited 0 under Never: Succeeded",
    policy: "Never",
    containers: [status(exited(0)), status(exited(0))],
    want: "Succeeded",
  },
  {
    name: "all exited, one failed, under Never: Failed",
    policy: "Never",
    containers: [status(exited(0)), status(exited(3))],
    want: "Failed",
  },
  {
    name: "all exited 0 under OnFailure: Succeeded",
    policy: "OnFailure",
    containers: [status(exited(0))],
    want: "Succeeded",
  },
  {
    name: "a failed container under OnFailure restarts: Running",
    policy: "OnFailure",
    containers: [status(exited(1))],
    want: "Running",
  },
  {
    name: "all exited under Always restart: Running",
    policy: "Always",
    containers: [status(exited(0))],
    want: "Running",
  },
  {
    name: "CrashLoopBackOff counts as exited (its last state), so the pod stays Running",
    policy: "Always",
    containers: [crashLoop],
    want: "Running",
  },
];

for (const c of cases) {
  test(c.name, () => {
    assert.equal(podPhase(pod(c.policy), c.init ?? [], c.containers), c.want);
  });
}
