// A projected serviceAccountToken source as the reconciler drives it: the token file is written on set-up, the
// volume's source version holds while the token is fresh and changes once 80% of its lifetime is gone, and setting
// the volume up again then writes the new token (the reconciler sets up any volume whose version changed).
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { Pod } from "../../api/core/types.js";
import type { KubeObject } from "../../api/meta.js";
import type { Lister } from "../../client/index.js";
import type { CsiRegistry } from "../csidrivers.js";
import { NodePaths } from "../paths.js";
import { TokenManager, type ServiceAccountTokenRequest } from "../tokenmanager.js";
import { desiredPod, volumeKey } from "../volumemanager/desired.js";
import type { PluginContext } from "./context.js";
import { projectedPlugin } from "./projected.js";

const empty = <T extends KubeObject>(): Lister<T> => ({
  get: () => undefined,
  list: () => [],
  byIndex: () => [],
  keys: () => [],
});

const pod: Pod = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "app", namespace: "team", uid: "pod-uid", resourceVersion: "3" },
  spec: {
    serviceAccountName: "builder",
    containers: [{ name: "app", image: "busybox" }],
    volumes: [
      {
        name: "token",
        projected: {
          defaultMode: 0o644,
          sources: [{ serviceAccountToken: { path: "token", expirationSeconds: 600 } }],
        },
      },
    ],
  },
};

test("the token file is rewritten once the token manager wants a refresh", async (t) => {
  const root = await mkdtemp(join(tmpdir(), "projected-"));
  t.after(() => rm(root, { recursive: true, force: true }));
  let now = 1_000_000;
  const asked: ServiceAccountTokenRequest[] = [];
  const tokens = new TokenManager(
    async (request) => {
      asked.push(request);
      return {
        token: `jwt-${asked.length}`,
        expirationTimestamp: new Date(now + request.expirationSeconds * 1000),
        expirationSeconds: request.expirationSeconds,
      };
    },
    () => now,
    () => 0,
  );
  const ctx: PluginContext = {
    paths: new NodePaths(root),
    nodeName: "node-1",
    csi: {} as CsiRegistry, // no CSI volume here
    csiDrivers: empty(),
    volumeAttachments: empty(),
    configMaps: empty(),
    secrets: empty(),
    serviceAccountTokens: tokens,
  };
  const [volume] = desiredPod(pod, { claims: empty(), volumes: empty() }).volumes;
  assert.equal(volume.kind, "projected");
  if (volume.kind !== "projected") return;
  const version = () => projectedPlugin.sourceVersion?.(ctx, volume);

  const mounted = await projectedPlugin.setUp(ctx, volume, pod, volumeKey(volume));
  assert.equal(await readFile(join(mounted.dir, "token"), "utf8"), "jwt-1");
  assert.deepEqual(asked, [
    {
      namespace: "team",
      serviceAccountName: "builder",
      audiences: [],
      expirationSeconds: 600,
      pod: { name: "app", uid: "pod-uid" },
    },
  ]);
  assert.equal(version(), mounted.sourceVersion, "fresh: nothing to do");
  now += 479_000;
  assert.equal(version(), mounted.sourceVersion);
  now += 1_000;
  assert.notEqual(version(), mounted.sourceVersion, "80% of 600 s gone: set up again");

  const again = await projectedPlugin.setUp(ctx, volume, pod, volumeKey(volume));
  assert.equal(await readFile(join(again.dir, "token"), "utf8"), "jwt-2");
  assert.equal(version(), again.sourceVersion);
  await projectedPlugin.tearDown(ctx, again);
  assert.equal(tokens.fresh(asked[0]), undefined, "the pod's tokens go with its volume");
});
