// `stowage` bundled into one ES module with esbuild (tsx's own transpiler), for tests that start the agent process
// many times: node then loads one file instead of tsx transpiling and resolving a few hundred on each start (about
// 3 s per start on a loaded 2-core machine, most of a churn test's budget). The code is the same; only loading
// differs. Each file's import.meta.url is kept as its source file's URL, so proto and package.json paths resolve
// as they do from src/. The bundle lives under node_modules/.cache so its bare imports resolve to our node_modules.
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { pathToFileURL } from "node:url";
import { build, type Plugin } from "esbuild";
import { repoRoot } from "./agentprocess.js";

const keepImportMetaUrl: Plugin = {
  name: "keep-import-meta-url",
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      const source = await readFile(args.path, "utf8");
      const url = JSON.stringify(pathToFileURL(args.path).href);
      return { contents: source.replaceAll("import.meta.url", url), loader: "ts" };
    });
  },
};

/** A bundle of src/cli/main.ts (about a second to build), removed after the test. */
export async function stowageBundle(t: TestContext): Promise<string> {
  const parent = join(repoRoot, "node_modules", ".cache", "stowage-test-bundles");
  await mkdir(parent, { recursive: true });
  const dir = await mkdtemp(join(parent, "b-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const outfile = join(dir, "main.mjs");
  await build({
    entryPoints: [join(repoRoot, "src", "cli", "main.ts")],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    plugins: [keepImportMetaUrl],
    logLevel: "error",
  });
  return outfile;
}
