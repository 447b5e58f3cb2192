// emptyDir, hostPath, configMap and secret volumes through the node agent, with real files and mounts.
import assert from "node:assert/strict";
import { lstat, mkdtemp, readdir, readFile, readlink, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { deleteAllPods, eventually, findmnt, pod, podEvents, startNodeTest, waitForPhase } from "../e2e/node.js";

const volumeDir = (root: string, uid: string, plugin: string, name: string) =>
  join(root, "pods", uid, "volumes", plugin, name);

test("an emptyDir lives exactly as long as its pod; medium Memory is a tmpfs", async (t) => {
  const node = await startNodeTest(t);
  const created = await node.client.pods.create(
    pod("scratch", [
      { name: "cache", emptyDir: {} },
      { name: "ram", emptyDir: { medium: "Memory", sizeLimit: "1Mi" } },
    ]),
  );
  await waitForPhase(node, "scratch", "Running");
  const uid = created.metadata.uid ?? "";
  const cache = volumeDir(node.rootDir, uid, "kubernetes.io~empty-dir", "cache");
  const ram = volumeDir(node.rootDir, uid, "kubernetes.io~empty-dir", "ram");
  assert.equal((await stat(cache)).mode & 0o777, 0o777);
  const tmpfs = await findmnt(ram);
  assert.equal(tmpfs?.target, ram);
  assert.match(tmpfs?.options ?? "", /size=1024k/);
  await writeFile(join(cache, "data"), "gone with the pod");
  await deleteAllPods(node);
  await assert.rejects(stat(join(node.rootDir, "pods", uid)), { code: "ENOENT" }, "the pod's directory is removed");

  const again = await node.client.pods.create(pod("scratch", [{ name: "cache", emptyDir: {} }]));
  await waitForPhase(node, "scratch", "Running");
  const fresh = volumeDir(node.rootDir, again.metadata.uid ?? "", "kubernetes.io~empty-dir", "cache");
  assert.deepEqual(await readdir(fresh), [], "a new pod starts with an empty emptyDir");
  await deleteAllPods(node);
});

test("configMap files appear through ..data and are swapped atomically when the configMap changes", async (t) => {
  const node = await startNodeTest(t);
  await node.client.configMaps.create({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "settings", namespace: "default" },
    data: { "app.conf": "v1", other: "x" },
  });
  const created = await node.client.pods.create(
    pod("configured", [
      { name: "all", configMap: { name: "settings" } },
      {
        name: "some",
        configMap: { name: "settings", items: [{ key: "app.conf", path: "conf/app.conf", mode: 0o600 }] },
      },
    ]),
  );
  await waitForPhase(node, "configured", "Running");
  const uid = created.metadata.uid ?? "";
  const all = volumeDir(node.rootDir, uid, "kubernetes.io~configmap", "all");
  const some = volumeDir(node.rootDir, uid, "kubernetes.io~configmap", "some");
  assert.equal(await readFile(join(all, "app.conf"), "utf8"), "v1");
  assert.equal(await readlink(join(all, "app.conf")), "..data/app.conf");
  assert.match(await readlink(join(all, "..data")), /^\.\.\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d\./);
  assert.equal((await stat(join(all, "other"))).mode & 0o777, 0o644);
  assert.equal(await readFile(join(some, "conf/app.conf"), "utf8"), "v1");
  assert.equal((await stat(join(some, "conf/app.conf"))).mode & 0o777, 0o600);
  assert.deepEqual((await readdir(some)).sort(), ["..data", await readlink(join(some, "..data")), "conf"].sort());

  const before = await readlink(join(all, "..data"));
  const current = await node.client.configMaps.get("default", "settings");
  await node.client.configMaps.update({ ...current, data: { "app.conf": "v2" } });
  await eventually(async () => ((await readFile(join(all, "app.conf"), "utf8")) === "v2" ? true : undefined));
  assert.notEqual(await readlink(join(all, "..data")), before, "..data points at a new version");
  await assert.rejects(lstat(join(all, "other")), { code: "ENOENT" }, "a removed key's file goes");
  assert.equal((await readdir(all)).filter((e) => e.startsWith("..2")).length, 1, "the old version is removed");
  await deleteAllPods(node);
});

test("a missing configMap or secret fails the mount with the kubelet's event unless optional", async (t) => {
  const node = await startNodeTest(t);
  await node.client.pods.create(
    pod("needs", [
      { name: "cfg", configMap: { name: "absent" } },
      { name: "maybe", secret: { secretName: "absent-too", optional: true } },
    ]),
  );
  const event = await eventually(async () => (await podEvents(node, "needs")).find((e) => e.includes('"cfg"')));
  assert.equal(event, 'FailedMount: MountVolume.SetUp failed for volume "cfg" : configmap "absent" not found');
  assert.ok(!(await podEvents(node, "needs")).some((e) => e.includes('"maybe"')), "an optional secret may be missing");
  await node.client.configMaps.create({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "absent", namespace: "default" },
    data: { k: "v" },
  });
  await waitForPhase(node, "needs", "Running");
  await deleteAllPods(node);
});

test("secret keys are written decoded with defaultMode, on a tmpfs", async (t) => {
  const node = await startNodeTest(t);
  await node.client.secrets.create({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "creds", namespace: "default" },
    data: { password: Buffer.from("s3cret").toString("base64") },
  });
  const created = await node.client.pods.create(
    pod("secretive", [{ name: "creds", secret: { secretName: "creds", defaultMode: 0o400 } }]),
  );
  await waitForPhase(node, "secretive", "Running");
  const dir = volumeDir(node.rootDir, created.metadata.uid ?? "", "kubernetes.io~secret", "creds");
  assert.equal(await readFile(join(dir, "password"), "utf8"), "s3cret");
  assert.equal((await stat(join(dir, "password"))).mode & 0o777, 0o400);
  assert.equal((await findmnt(dir))?.fstype, "tmpfs", "a secret is kept on a tmpfs, never on the node's disk");
  await deleteAllPods(node);
  assert.equal(await findmnt(dir), undefined, "and unmounted with its pod");
});

const hostPathCases = [
  { type: "Directory", make: "file", want: "hostPath type check failed: {path} is not a directory" },
  { type: "Directory", make: "none", want: "hostPath type check failed: {path} is not a directory" },
  { type: "File", make: "dir", want: "hostPath type check failed: {path} is not a file" },
  { type: "Socket", make: "file", want: "hostPath type check failed: {path} is not a socket file" },
  { type: "CharDevice", make: "file", want: "hostPath type check failed: {path} is not a character device" },
  { type: "BlockDevice", make: "file", want: "hostPath type check failed: {path} is not a block device" },
] as const;

test("hostPath type checks refuse the wrong kind of path with upstream's message, and *OrCreate creates it", async (t) => {
  const node = await startNodeTest(t);
  const dir = await mkdtemp(join(tmpdir(), "hostpath-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, "file"), "");
  const { mkdir } = await import("node:fs/promises");
  await mkdir(join(dir, "dir"));
  for (const [i, c] of hostPathCases.entries()) {
    const path = join(dir, c.make);
    await node.client.pods.create(pod(`hp-${i}`, [{ name: "host", hostPath: { path, type: c.type } }]));
    const event = await eventually(async () =>
      (await podEvents(node, `hp-${i}`)).find((e) => e.startsWith("FailedMount")),
    );
    assert.equal(event, `FailedMount: MountVolume.SetUp failed for volume "host" : ${c.want.replace("{path}", path)}`);
  }
  await node.client.pods.create(
    pod("creates", [
      { name: "d", hostPath: { path: join(dir, "new/dir"), type: "DirectoryOrCreate" } },
      { name: "f", hostPath: { path: join(dir, "new/file"), type: "FileOrCreate" } },
      { name: "dev", hostPath: { path: "/dev/null", type: "CharDevice" } },
    ]),
  );
  await waitForPhase(node, "creates", "Running");
  assert.ok((await stat(join(dir, "new/dir"))).isDirectory());
  assert.ok((await stat(join(dir, "new/file"))).isFile());
  await deleteAllPods(node);
});

test("downwardAPI and projected volumes hold the pod's fields and projected keys, and follow label changes", async (t) => {
  const node = await startNodeTest(t);
  await node.client.configMaps.create({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "proj", namespace: "default" },
    data: { greeting: "hello" },
  });
  const spec = pod("fields", [
    {
      name: "info",
      downwardAPI: {
        items: [
          { path: "name", fieldRef: { fieldPath: "metadata.name" } },
          { path: "labels", fieldRef: { fieldPath: "metadata.labels" } },
        ],
      },
    },
    {
      name: "all",
      projected: {
        sources: [
          { configMap: { name: "proj" } },
          { downwardAPI: { items: [{ path: "ns", fieldRef: { fieldPath: "metadata.namespace" } }] } },
        ],
      },
    },
  ]);
  spec.metadata.labels = { app: "web", tier: "front" };
  const created = await node.client.pods.create(spec);
  await waitForPhase(node, "fields", "Running");
  const uid = created.metadata.uid ?? "";
  const info = volumeDir(node.rootDir, uid, "kubernetes.io~downward-api", "info");
  const all = volumeDir(node.rootDir, uid, "kubernetes.io~projected", "all");
  assert.equal(await readFile(join(info, "name"), "utf8"), "fields");
  assert.equal(await readFile(join(info, "labels"), "utf8"), 'app="web"\ntier="front"');
  assert.equal(await readFile(join(all, "greeting"), "utf8"), "hello");
  assert.equal(await readFile(join(all, "ns"), "utf8"), "default");

  await node.client.pods.patch("default", "fields", "merge", { metadata: { labels: { tier: "back" } } });
  await eventually(async () =>
    (await readFile(join(info, "labels"), "utf8")) === 'app="web"\ntier="back"' ? true : undefined,
  );
  await deleteAllPods(node);
});
