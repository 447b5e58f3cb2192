// The CSI community's conformance suite (kubernetes-csi/csi-test's csi-sanity) against the block driver, with
// real loop devices, ext4 and mounts. Skips are listed with csi-sanity's own reason: they are capabilities the
// driver does not claim (ModifyVolume, group snapshots, SINGLE_NODE_MULTI_WRITER) or opt-in tests.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { access, mkdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { test, type TestContext } from "node:test";
import { fileURLToPath } from "node:url";
import { loopDevicesUnder, mountsUnder, startTestDriver, testDir } from "./testing/harness.js";

const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url));
const csiSanity = resolve(repoRoot, "../shared/tools/csi-sanity");

interface GinkgoReport {
  SpecReports?: Array<{
    State: string;
    LeafNodeText: string;
    ContainerHierarchyTexts: string[] | null;
    Failure?: { Message: string };
  }>;
}

function runSanity(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(csiSanity, args, { timeout: 120_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
      done({ code, stdout, stderr });
    });
  });
}

async function sanityPasses(t: TestContext, accessType: "mount" | "block"): Promise<void> {
  await access(csiSanity).catch(() =>
    assert.fail(`csi-sanity not found at ${csiSanity} (see ../shared/tools/csi-sanity.md)`),
  );
  const dir = await testDir(t);
  // A node attach limit lets the suite's max-attach test run (RESOURCE_EXHAUSTED past the limit).
  const driver = await startTestDriver(t, dir, { maxVolumesPerNode: 8 });
  await mkdir(join(dir, "sanity"));
  const report = join(dir, "report.json");

  const result = await runSanity([
    `--csi.endpoint=${driver.endpoint}`,
    `--csi.mountdir=${join(dir, "sanity", "mnt")}`,
    `--csi.stagingdir=${join(dir, "sanity", "stg")}`,
    `--csi.testvolumesize=${64 << 20}`,
    `--csi.testvolumeaccesstype=${accessType}`,
    "--csi.testnodevolumeattachlimit",
    "--ginkgo.no-color",
    "--ginkgo.fail-fast",
    "--ginkgo.seed=1",
    `--ginkgo.json-report=${report}`,
  ]);
  const summary = /(SUCCESS|FAIL)! -- (\d+) Passed \| (\d+) Failed \| (\d+) Pending \| (\d+) Skipped/.exec(
    result.stdout,
  );
  assert.ok(
    summary,
    `no summary line in csi-sanity output:\n${result.stdout.slice(-4000)}\n${result.stderr.slice(-2000)}`,
  );
  const [, verdict, passed, failed, , skipped] = summary;
  t.diagnostic(`csi-sanity: ${summary[0]}`);

  const specs = (JSON.parse(await readFile(report, "utf8")) as GinkgoReport[]).flatMap((r) => r.SpecReports ?? []);
  for (const spec of specs.filter((s) => s.State === "skipped")) {
    const name = [...(spec.ContainerHierarchyTexts ?? []), spec.LeafNodeText].join(" / ");
    t.diagnostic(`skipped: ${name} — ${spec.Failure?.Message ?? "no reason given"}`);
  }
  const failures = specs.filter((s) => s.State !== "passed" && s.State !== "skipped" && s.State !== "pending");
  assert.deepEqual(
    failures.map((s) => `${s.LeafNodeText}: ${s.Failure?.Message ?? s.State}`),
    [],
    result.stdout.slice(-4000),
  );
  assert.equal(verdict, "SUCCESS");
  assert.equal(result.code, 0);
  assert.equal(Number(failed), 0);
  // The suite exercises the node side for real: most of its 92 specs run, few are skipped.
  assert.ok(Number(passed) >= 70, `only ${passed} specs passed`);
  assert.ok(Number(skipped) <= 14, `${skipped} specs skipped`);

  // csi-sanity cleans up after every spec; the driver must have released every loop device and mount it made.
  assert.deepEqual(await loopDevicesUnder(dir), []);
  assert.deepEqual(await mountsUnder(dir), []);
}

test("csi-sanity passes against the block driver with real loop devices and ext4 (volumeMode Filesystem)", (t) =>
  sanityPasses(t, "mount"));

test("csi-sanity passes against the block driver with raw block volumes (volumeMode Block)", (t) =>
  sanityPasses(t, "block"));
