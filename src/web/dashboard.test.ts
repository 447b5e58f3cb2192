// The dashboard as a user sees it, in real Chromium against a real stowage: sign in with a token, read lists with
// kubectl's columns. Screenshots of each view go to test-artifacts/dashboard/.
import assert from "node:assert/strict";
import { test } from "node:test";
import { adminLogin, builtDashboard, launchBrowser, pageLoad, screenshot, signIn } from "../e2e/browser.js";
import { startStowage } from "../e2e/stowage.js";

test("signing in with the token stowage dashboard prints shows the PersistentVolumes live with kubectl's columns", async (t) => {
  const [dashboardDir, browser] = await Promise.all([builtDashboard(t), launchBrowser(t)]);
  const stowage = await startStowage(t, { dashboardDir });
  const applied = await stowage.kubectlResult(["apply", "-f", "-"], { input: staticVolume("pv-a") });
  assert.equal(applied.code, 0, applied.stderr);
  const login = await adminLogin(stowage.kubeconfig);
  assert.equal(login.url, `${stowage.url}/dashboard/`);
  const page = await signIn(browser, login.url, login.token, "#/list/persistentvolumes");
  assert.equal(
    await page.$eval("header .user", (e) => e.textContent),
    "system:serviceaccount:kube-system:stowage-dashboard-admin",
  );
  await page.waitForSelector('[role=row][data-name="pv-a"]');
  await page.waitForSelector('section.list[data-access="allowed"]');
  const kubectlHeader = (await stowage.kubectl("get", "pv"))
    .split("\n")[0]
    .trim()
    .split(/\s{2,}/);
  const headers = await page.$$eval("[role=columnheader]", (cells) => cells.map((c) => c.textContent));
  // kubectl's columns, then the admin's Actions (a Released volume's Delete)
  assert.deepEqual(headers, [...kubectlHeader, "ACTIONS"]);
  await screenshot(page, "persistentvolumes");
  // a Released volume (its claim gone) offers Delete; deleting shows the answer, and the row goes with the volume
  assert.equal(await page.$('[role=row][data-name="pv-a"] .actions button'), null, "a Pending volume offers none");
  await stowage.kubectl(
    "patch",
    "pv",
    "pv-a",
    "--subresource=status",
    "--type=merge",
    "-p",
    '{"status":{"phase":"Released"}}',
  );
  const remove = await page.waitForSelector('[role=row][data-name="pv-a"] .actions button');
  await remove?.click();
  const answer = await page.waitForSelector("pre.result");
  // the answer is the volume being deleted: its pv-protection finalizer holds it until the controller lets go
  const deleted = JSON.parse((await answer?.evaluate((pre) => pre.textContent)) ?? "{}");
  assert.equal(deleted.metadata.name, "pv-a");
  assert.ok(deleted.metadata.deletionTimestamp, "marked for deletion");
  await stowage.kubectl("patch", "pv", "pv-a", "--type=merge", "-p", '{"metadata":{"finalizers":null}}');
  await page.waitForFunction(`!document.querySelector('[role=row][data-name="pv-a"]')`);
  await screenshot(page, "persistentvolume-deleted");
  // live: a volume made elsewhere appears in its place through the watch, with no reload
  const loaded = await pageLoad(page);
  const more = await stowage.kubectlResult(["apply", "-f", "-"], { input: staticVolume("pv-0") });
  assert.equal(more.code, 0, more.stderr);
  await page.waitForSelector('[role=row][data-name="pv-0"]');
  const names = await page.$$eval(".spacer [role=row]", (rows) => rows.map((r) => r.getAttribute("data-name")));
  assert.deepEqual(names, ["pv-0"]);
  assert.equal(await pageLoad(page), loaded);
});

test("the page loads without credentials (its hashed assets cached for a year, the index never) and signs in by keyboard", async (t) => {
  const [dashboardDir, browser] = await Promise.all([builtDashboard(t), launchBrowser(t)]);
  const stowage = await startStowage(t, { dashboardDir });
  const page = await browser.newPage();
  const cached = new Map<string, string>();
  page.on("response", (response) => cached.set(new URL(response.url()).pathname, response.headers()["cache-control"]));
  const index = await page.goto(`${stowage.url}/dashboard`);
  assert.equal(index?.status(), 200);
  assert.equal(new URL(page.url()).pathname, "/dashboard/");
  await page.waitForSelector("textarea#token");
  assert.equal(cached.get("/dashboard/"), "no-cache");
  const assets = [...cached].filter(([path]) => path.startsWith("/dashboard/assets/"));
  assert.equal(assets.length, 2, `one script and one stylesheet: ${[...cached.keys()].join(", ")}`);
  for (const [path, cacheControl] of assets) {
    assert.match(path, /-[A-Z0-9]{8}\.(js|css)$/);
    assert.equal(cacheControl, "public, max-age=31536000, immutable");
  }
  // the API itself stays closed to a browser without a token
  const anonymous = await page.evaluate(async () => (await fetch("/api/v1/persistentvolumes")).status);
  assert.equal(anonymous, 403);
  await screenshot(page, "login");
  // signing in needs no mouse: the token field, Tab to the button, Enter
  const login = await adminLogin(stowage.kubeconfig);
  await page.focus("textarea#token");
  await page.keyboard.type(login.token);
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate("document.activeElement.textContent"), "Sign in");
  await page.keyboard.press("Enter");
  await page.waitForSelector("header .user");
});

const staticVolume = (name: string) => `apiVersion: v1
kind: PersistentVolume
metadata: {name: ${name}}
spec:
  capacity: {storage: 1Gi}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  hostPath: {path: /tmp/${name}}
`;
