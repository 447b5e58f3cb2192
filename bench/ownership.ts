// The fsGroup ownership walk (not a test): a tree of files owned by root:root given group 2000 the kubelet's way
// (setVolumeOwnership, Always), walked again when already right (Always: one lstat per entry, nothing changed),
// and skipped by OnRootMismatch (one lstat of the root). Checks every entry ends with the group first.
//   node --import tsx bench/ownership.ts [--dirs 100] [--files 200]      (as root: chown needs it)
// Prints one JSON object per figure on stdout.
import { lstat, mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { setVolumeOwnership } from "../src/node/plugins/ownership.js";

const { values: args } = parseArgs({
  options: { dirs: { type: "string", default: "100" }, files: { type: "string", default: "200" } },
});
const dirs = Number(args.dirs);
const files = Number(args.files);
const fsGroup = 2000;

const root = await mkdtemp(join(tmpdir(), "stowage-bench-ownership-"));
try {
  for (let d = 0; d < dirs; d++) {
    const dir = join(root, `d${d}`);
    await mkdir(dir);
    await Promise.all(Array.from({ length: files }, (_, f) => writeFile(join(dir, `f${f}`), "x", { mode: 0o644 })));
  }
  const entries = 1 + dirs * (files + 1);

  const time = async (policy: "Always" | "OnRootMismatch") => {
    const started = performance.now();
    const walked = await setVolumeOwnership(root, fsGroup, policy, false);
    return { ms: Math.round(performance.now() - started), walked };
  };
  const first = await time("Always");
  // The check: every entry has the group now.
  let wrong = 0;
  for (const d of await readdir(root)) {
    for (const f of await readdir(join(root, d))) if ((await lstat(join(root, d, f))).gid !== fsGroup) wrong++;
  }
  const again = await time("Always");
  const skipped = await time("OnRootMismatch");
  console.log(
    JSON.stringify({
      figure: "ownership",
      entries,
      firstWalkMs: first.ms,
      unchangedWalkMs: again.ms,
      onRootMismatchMs: skipped.ms,
      onRootMismatchWalked: skipped.walked,
      allChanged: wrong === 0,
    }),
  );
} finally {
  await rm(root, { recursive: true, force: true });
}
