// The dashboard in a real browser: Debian's chromium (CHROMIUM overrides the path) driven over the DevTools
// protocol by puppeteer-core, which downloads no browser of its own. Each test file gets one browser; each test a
// stowage serving a dashboard bundle freshly built from src/web (so a test never sees a stale dist/web).
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import { buildDashboard } from "../web/build.js";
import { dashboardLogin } from "../cli/dashboard.js";
import { repoRoot } from "./agentprocess.js";
import { createClient, type Transport } from "../client/index.js";

/** Where screenshots of each view are kept after the test (ignored by git): test-artifacts/dashboard/. */
export const artifactsDir = join(repoRoot, "test-artifacts", "dashboard");

export async function launchBrowser(t: TestContext): Promise<Browser> {
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    // root in CI has no user namespace sandbox; /dev/shm is small in containers
    args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1366,768"],
    defaultViewport: { width: 1366, height: 768 },
    // the data dir's own CA signed the apiserver's certificate
    acceptInsecureCerts: true,
    protocolTimeout: 120_000,
  });
  t.after(() => browser.close());
  return browser;
}

/** The dashboard bundle built into a temp dir (removed after the test). */
export async function builtDashboard(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "stowage-dashboard-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await buildDashboard(dir);
  return dir;
}

/** What `stowage dashboard` prints: the URL and the admin's login token. */
export async function adminLogin(kubeconfig: string): Promise<{ url: string; token: string }> {
  const login = await dashboardLogin(kubeconfig);
  return { url: login.url, token: login.token.token };
}

/** Opens the dashboard, signs in with `token` on the login page and waits for the signed-in header. */
export async function signIn(browser: Browser, url: string, token: string, hash = "#/map"): Promise<Page> {
  const page = await browser.newPage();
  page.setDefaultTimeout(30_000);
  await page.goto(`${url}${hash}`);
  await page.waitForSelector("textarea#token");
  await page.type("textarea#token", token, { delay: 0 });
  await page.click("button[type=submit]");
  await page.waitForSelector("header .user");
  return page;
}

export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(artifactsDir, { recursive: true });
  const path = join(artifactsDir, `${name}.png`);
  await page.screenshot({ path: path as `${string}.png`, fullPage: false });
  return path;
}

/** When the page was loaded: the same before and after means it updated itself, without a reload. */
export const pageLoad = (page: Page): Promise<number> =>
  // a string: this file is compiled for Node, without the DOM's types
  page.evaluate("performance.timeOrigin") as Promise<number>;

/** `count` static PersistentVolumes named pv-00000 …, made through the in-process transport, 32 at a time. */
export async function createVolumes(transport: Transport, count: number): Promise<void> {
  const client = createClient(transport);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const name = `pv-${String(next++).padStart(5, "0")}`;
      await client.persistentVolumes.create({
        apiVersion: "v1",
        kind: "PersistentVolume",
        metadata: { name },
        spec: {
          capacity: { storage: "1Gi" },
          accessModes: ["ReadWriteOnce"],
          persistentVolumeReclaimPolicy: "Retain",
          hostPath: { path: `/tmp/${name}` },
        },
      });
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
}
