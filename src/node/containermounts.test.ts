// What each container mounts: API data volumes (configMap, secret, downwardAPI, projected) are read-only whatever
// the volumeMount says, as the kubelet mounts them; other volumes follow volumeMounts[].readOnly.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Pod } from "../api/core/types.js";
import type { EventRecorder } from "../client/index.js";
import { prepareContainerMounts } from "./containermounts.js";
import { NodePaths } from "./paths.js";
import { ActualState } from "./volumemanager/actual.js";
import { volumeKey, type DesiredVolume } from "./volumemanager/desired.js";

test("configMap, secret, downwardAPI and projected volumes are mounted read-only into containers", async () => {
  const pod: Pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "p", namespace: "default", uid: "u1" },
    spec: {
      containers: [
        {
          name: "app",
          image: "busybox",
          volumeMounts: [
            { name: "config", mountPath: "/config" },
            { name: "token", mountPath: "/token", readOnly: false },
            { name: "scratch", mountPath: "/scratch" },
            { name: "cache", mountPath: "/cache", readOnly: true },
          ],
        },
      ],
    },
  };
  const common = (outerName: string, plugin: string) => ({ podUid: "u1", outerName, innerName: outerName, plugin });
  const desired = [
    { ...common("config", "kubernetes.io/configmap"), kind: "configMap", source: { name: "c" }, namespace: "default" },
    { ...common("token", "kubernetes.io/projected"), kind: "projected", source: { sources: [] }, pod },
    { ...common("scratch", "kubernetes.io/empty-dir"), kind: "emptyDir", source: {} },
    { ...common("cache", "kubernetes.io/empty-dir"), kind: "emptyDir", source: {} },
  ] as DesiredVolume[];
  const actual = new ActualState();
  for (const v of desired)
    actual.markMounted({
      key: volumeKey(v),
      podUid: "u1",
      plugin: v.plugin,
      innerName: v.innerName,
      dir: `/x/${v.outerName}`,
      uncertain: false,
    });
  const recorder = { event: () => undefined } as unknown as EventRecorder;
  const { mounts, errors } = await prepareContainerMounts(
    { actual, paths: new NodePaths("/x"), recorder, log: () => undefined },
    pod,
    desired,
  );
  assert.deepEqual(errors, {});
  assert.deepEqual(
    mounts.get("app")?.map((m) => `${m.containerPath} ${m.readOnly ? "ro" : "rw"}`),
    ["/config ro", "/token ro", "/scratch rw", "/cache ro"],
  );
});
