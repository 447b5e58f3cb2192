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
import { CheckFailed, openBench } from "./lib/bench.js";

const { values: args } = parseArgs({
  options: {
    dirs: { type: "string", default: "100" },
    files: { type: "string", default: "200" },
    quick: { type: "boolean", default: false },
  },
});
const bench = openBench();
const dirs = args.quick ? 10 : Number(args.dirs);
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
  if (wrong > 0) throw new CheckFailed(`${wrong} entries do not have group ${fsGroup} after the walk`);
  const detail = { entries, onRootMismatchMs: skipped.ms, onRootMismatchWalked: skipped.walked };
  bench.figure({ figure: "ownership.first_walk_ms", value: first.ms, unit: "ms", detail });
  bench.figure({ figure: "ownership.unchanged_walk_ms", value: again.ms, unit: "ms", detail });
} finally {
  await rm(root, { recursive: true, force: true });
}
bench.finish();
