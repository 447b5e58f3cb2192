// The volume plugin seam: each pod volume source is mounted by the plugin whose name its directory carries, and
// every plugin that needs no driver or server behaves the same way — set up twice is set up once, and torn down
// its directory is gone (the host's path stays for hostPath).
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { ConfigMap, Pod, Volume } from "../../api/core/types.js";
import type { KubeObject } from "../../api/meta.js";
import type { Lister } from "../../client/index.js";
import type { CsiRegistry } from "../csidrivers.js";
import { NodePaths, pluginNames } from "../paths.js";
import { desiredPod, volumeKey } from "../volumemanager/desired.js";
import type { PluginContext } from "./context.js";
import { VolumePluginRegistry } from "./registry.js";

function lister<T extends KubeObject>(objects: T[] = []): Lister<T> {
  const key = (o: T) => `${o.metadata.namespace ?? ""}/${o.metadata.name ?? ""}`;
  return {
    get: (k) => objects.find((o) => key(o) === k),
    list: () => objects,
    byIndex: () => [],
    keys: () => objects.map(key),
  };
}

const config: ConfigMap = {
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name: "settings", namespace: "default", resourceVersion: "7" },
  data: { "app.conf": "debug=true" },
};

const podWith = (volume: Volume): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "app", namespace: "default", uid: "pod-uid-1", resourceVersion: "3" },
  spec: { containers: [{ name: "app", image: "busybox" }], volumes: [volume] },
});

const cases: { name: string; volume: (hostDir: string) => Volume; plugin: string }[] = [
  { name: "emptyDir", volume: () => ({ name: "scratch", emptyDir: {} }), plugin: pluginNames.emptyDir },
  {
    name: "hostPath",
    volume: (hostDir) => ({ name: "host", hostPath: { path: hostDir, type: "Directory" } }),
    plugin: pluginNames.hostPath,
  },
  {
    name: "configMap",
    volume: () => ({ name: "cfg", configMap: { name: "settings" } }),
    plugin: pluginNames.configMap,
  },
  {
    name: "secret",
    volume: () => ({ name: "creds", secret: { secretName: "missing", optional: true } }),
    plugin: pluginNames.secret,
  },
  {
    name: "downwardAPI",
    volume: () => ({
      name: "info",
      downwardAPI: { items: [{ path: "name", fieldRef: { fieldPath: "metadata.name" } }] },
    }),
    plugin: pluginNames.downwardAPI,
  },
  {
    name: "projected",
    volume: () => ({ name: "all", projected: { sources: [{ configMap: { name: "settings" } }] } }),
    plugin: pluginNames.projected,
  },
];

for (const c of cases) {
  test(`a ${c.name} volume is set up by the ${c.plugin} plugin, idempotently, and torn down`, async (t) => {
    const root = await mkdtemp(join(tmpdir(), "plugins-"));
    t.after(() => rm(root, { recursive: true, force: true }));
    const hostDir = join(root, "host");
    await mkdir(hostDir);
    const ctx: PluginContext = {
      paths: new NodePaths(root),
      nodeName: "node-1",
      csi: {} as CsiRegistry, // no CSI volume here
      csiDrivers: lister(),
      volumeAttachments: lister(),
      configMaps: lister([config]),
      secrets: lister(),
    };
    const pod = podWith(c.volume(hostDir));
    const [volume] = desiredPod(pod, { claims: lister(), volumes: lister() }).volumes;
    const plugins = new VolumePluginRegistry();
    const plugin = plugins.forVolume(volume);
    assert.equal(plugin.name, c.plugin);
    assert.equal(plugins.byName(volume.plugin), plugin);

    const key = volumeKey(volume);
    const first = await plugin.setUp(ctx, volume, pod, key);
    const second = await plugin.setUp(ctx, volume, pod, key);
    assert.deepEqual(second, first);
    assert.equal(first.uncertain, false);
    assert.ok((await stat(first.dir)).isDirectory());

    await plugins.forMounted(first).tearDown(ctx, first);
    if (c.name === "hostPath") assert.ok((await stat(hostDir)).isDirectory(), "the host's directory stays");
    else await assert.rejects(stat(first.dir), { code: "ENOENT" });
    assert.deepEqual(await readdir(hostDir), []);
  });
}

test("a volume directory under a plugin name the agent does not know is removed as an emptyDir is", () => {
  const plugins = new VolumePluginRegistry();
  const mounted = {
    key: "u/x/y",
    podUid: "u",
    plugin: "example.com/gone",
    innerName: "y",
    dir: "/nowhere",
    uncertain: true,
  };
  assert.equal(plugins.forMounted(mounted).name, pluginNames.emptyDir);
});
