// The dashboard's actions in real Chromium: the admin expands a claim and takes a snapshot from its page and sees
// the resulting objects and the new size; a read-only user sees the same pages with no action at all.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Page } from "puppeteer-core";
import { adminLogin, builtDashboard, launchBrowser, screenshot, signIn } from "../e2e/browser.js";
import { defaultUpComponents } from "../e2e/parts.js";
import { startStowage, type Stowage } from "../e2e/stowage.js";

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

// A user who may read storage and nothing more, as a ServiceAccount (its token from `kubectl create token`).
const readOnlyUser = `apiVersion: v1
kind: ServiceAccount
metadata: {name: viewer, namespace: default}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: storage-viewer}
rules:
- apiGroups: [""]
  resources: [persistentvolumes, persistentvolumeclaims, pods, nodes, events]
  verbs: [get, list, watch]
- apiGroups: [storage.k8s.io]
  resources: [storageclasses, volumeattachments, csinodes, csistoragecapacities]
  verbs: [get, list, watch]
- apiGroups: [snapshot.storage.k8s.io]
  resources: [volumesnapshots]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: viewer-storage-viewer}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: storage-viewer}
subjects: [{kind: ServiceAccount, name: viewer, namespace: default}]
`;

async function apply(stowage: Stowage, yaml: string): Promise<void> {
  const result = await stowage.kubectlResult(["apply", "-f", "-"], { input: yaml });
  assert.equal(result.code, 0, result.stderr);
}

const field = (page: Page, name: string) => page.$eval(`td[data-field="${name}"]`, (td) => td.textContent ?? "");

test("the admin expands a claim and snapshots it from the dashboard; a read-only user sees no actions", async (t) => {
  const [dashboardDir, browser] = await Promise.all([builtDashboard(t), launchBrowser(t)]);
  const stowage = await startStowage(t, { dashboardDir, components: defaultUpComponents() });
  await apply(stowage, readmeExample);
  await apply(stowage, readOnlyUser);
  await stowage.kubectl("wait", "pod/app", "--for=jsonpath={.status.phase}=Running", "--timeout=60s");
  const login = await adminLogin(stowage.kubeconfig);

  await t.test("expand: the resulting claim shows, then the new capacity", async () => {
    const page = await signIn(browser, login.url, login.token, "#/claim/default/data");
    await page.waitForSelector('ul[data-access="allowed"], [data-action=expand]');
    await page.waitForFunction(`document.querySelector('td[data-field="Capacity"]')?.textContent === "1Gi"`);
    const size = await page.waitForSelector("[data-action=expand] input[name=size]");
    await size?.click({ count: 3 });
    await size?.type("2Gi");
    await page.click("[data-action=expand] button[type=submit]");
    const result = await page.waitForSelector("[data-action=expand] pre.result");
    const answered = JSON.parse((await result?.evaluate((pre) => pre.textContent)) ?? "{}");
    assert.equal(answered.kind, "PersistentVolumeClaim");
    assert.equal(answered.spec.resources.requests.storage, "2Gi");
    // the resizer and the node grow the volume; the page follows through its watch
    await page.waitForFunction(`document.querySelector('td[data-field="Capacity"]')?.textContent === "2Gi"`, {
      timeout: 60_000,
    });
    assert.equal(await field(page, "Requested"), "2Gi");
    await screenshot(page, "claim-expanded");

    await page.click("[data-action=snapshot] button[type=submit]");
    const snapshot = await page.waitForSelector("[data-action=snapshot] pre.result");
    const made = JSON.parse((await snapshot?.evaluate((pre) => pre.textContent)) ?? "{}");
    assert.equal(made.kind, "VolumeSnapshot");
    assert.equal(made.spec.source.persistentVolumeClaimName, "data");
    await page.waitForSelector('li[data-snapshot="data-snapshot"]');
    await screenshot(page, "claim-snapshot");
    await page.close();
  });

  await t.test("a read-only user reads the same pages and is offered no action", async () => {
    const token = (await stowage.kubectl("create", "token", "viewer")).trim();
    const page = await signIn(browser, login.url, token, "#/claim/default/data");
    assert.equal(await page.$eval("header .user", (e) => e.textContent), "system:serviceaccount:default:viewer");
    await page.waitForSelector('td[data-field="Status"]');
    await page.waitForSelector('li[data-snapshot="data-snapshot"]');
    // the page marks when its access reviews are answered, so "no actions" is an answer, not a race
    await page.waitForSelector('[data-access="none"]');
    await page.waitForSelector('ul[data-access="none"]');
    assert.equal(await page.$("[data-action]"), null, "no action form");
    assert.equal(await page.$("li[data-snapshot] button"), null, "no restore button");
    await screenshot(page, "claim-read-only");
    await page.goto(`${login.url}#/list/persistentvolumeclaims`);
    await page.waitForSelector('[role=row][data-name="data"]');
    await page.waitForSelector('section.list[data-access="none"]');
    const headers = await page.$$eval("[role=columnheader]", (cells) => cells.map((c) => c.textContent));
    assert.ok(!headers.includes("ACTIONS"), `no Actions column: ${headers.join(", ")}`);
    await screenshot(page, "claims-read-only");
    await page.close();
  });
});
