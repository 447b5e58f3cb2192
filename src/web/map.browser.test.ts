// The storage map in real Chromium for the README's first example, and a claim appearing on it without a reload.
import assert from "node:assert/strict";
import { test } from "node:test";
import { adminLogin, builtDashboard, launchBrowser, pageLoad, screenshot, signIn } from "../e2e/browser.js";
import { defaultUpComponents } from "../e2e/parts.js";
import { startStowage } from "../e2e/stowage.js";

const readmeExample = `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
---
apiVersion: v1
kind: Pod
metadata: {name: app}
spec:
  containers: [{name: app, image: busybox, volumeMounts: [{name: data, mountPath: /data}]}]
  volumes: [{name: data, persistentVolumeClaim: {claimName: data}}]
`;

test("the map draws the README's first example, claim → PV → node → pod, and a new claim appears without a reload", async (t) => {
  const [dashboardDir, browser] = await Promise.all([builtDashboard(t), launchBrowser(t)]);
  const stowage = await startStowage(t, { dashboardDir, components: defaultUpComponents() });
  const applied = await stowage.kubectlResult(["apply", "-f", "-"], { input: readmeExample });
  assert.equal(applied.code, 0, applied.stderr);
  await stowage.kubectl("wait", "pod/app", "--for=jsonpath={.status.phase}=Running", "--timeout=60s");
  const volume = (await stowage.kubectl("get", "pvc", "data", "-o", "jsonpath={.spec.volumeName}")).trim();
  const node = (await stowage.kubectl("get", "pod", "app", "-o", "jsonpath={.spec.nodeName}")).trim();
  const handle = (await stowage.kubectl("get", "pv", volume, "-o", "jsonpath={.spec.csi.volumeHandle}")).trim();

  const login = await adminLogin(stowage.kubeconfig);
  const page = await signIn(browser, login.url, login.token, "#/map");
  const claimId = "PersistentVolumeClaim/default/data";
  const chain = [
    ["StorageClass/standard", claimId],
    [claimId, `PersistentVolume/${volume}`],
    [`PersistentVolume/${volume}`, `Node/${node}`],
    [`Node/${node}`, "Pod/default/app"],
    [claimId, "Pod/default/app"],
  ];
  for (const [from, to] of chain) {
    await page.waitForSelector(`path.edge[data-from="${from}"][data-to="${to}"]`);
  }
  // each box is a link to its object's view
  assert.equal(await page.$eval(`a.box[data-id="${claimId}"]`, (a) => a.getAttribute("href")), "#/claim/default/data");
  assert.equal(await page.$eval(`a.box[data-id="Node/${node}"]`, (a) => a.getAttribute("href")), `#/node/${node}`);
  assert.equal(await page.$eval(`a.box[data-id="Pod/default/app"]`, (a) => a.dataset.state), "Running");
  await screenshot(page, "map");

  // A claim made now (by kubectl, elsewhere) shows up through the watch, and is stuck with its class's warning.
  const before = await pageLoad(page);
  const late = await stowage.kubectlResult(["apply", "-f", "-"], {
    input: `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: late}
spec:
  storageClassName: missing
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
`,
  });
  assert.equal(late.code, 0, late.stderr);
  await page.waitForSelector('a.box.stuck[data-id="PersistentVolumeClaim/default/late"]', { timeout: 30_000 });
  const stuck = await page.$eval('li[data-id="PersistentVolumeClaim/default/late"]', (li) => li.textContent ?? "");
  assert.match(stuck, /storageclass\.storage\.k8s\.io "missing" not found/);
  assert.equal(await pageLoad(page), before, "no reload");

  // filters narrow the map: the namespace's stuck claims only
  await page.select("select[name=state]", "stuck");
  await page.waitForFunction(`!document.querySelector('a.box[data-id="PersistentVolumeClaim/default/data"]')`);
  assert.ok(await page.$('a.box[data-id="PersistentVolumeClaim/default/late"]'));
  await screenshot(page, "map-stuck");

  // the node's page, reached from its box: its pod with the claim, the volume mounted there, its drivers' limits
  await page.select("select[name=state]", "");
  await page.click(`a.box[data-id="Node/${node}"]`);
  await page.waitForSelector("#node-title");
  // the kubelet reports a mounted volume in the node's status.volumesInUse
  await stowage.kubectl("wait", `node/${node}`, "--for=jsonpath={.status.volumesInUse[0]}", "--timeout=30s");
  await screenshot(page, "node");
  await page.waitForFunction(
    `[...document.querySelectorAll('ul[data-list="pods"] li')].some((li) => li.textContent === "default/app (Running): data")`,
  );
  await page.waitForFunction(
    `[...document.querySelectorAll('ul[data-list="in-use"] li')].some((li) => li.textContent.endsWith("^${handle}"))`,
  );
  const drivers = await page.$$eval('table[data-table="limits"] tbody tr td:first-child', (cells) =>
    cells.map((c) => c.textContent),
  );
  assert.ok(drivers.includes("hostpath.csi.stowage.dev"), `CSINode drivers: ${drivers.join(", ")}`);
  await screenshot(page, "node");
});
