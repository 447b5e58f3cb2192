// The one-way house is checked, not hoped for: `npm test` runs the dependency check (npm run depcheck), and these
// tests show it holds today and that it catches each kind of break (each planted in the real tree, then removed).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { repoRoot } from "./agentprocess.js";

const run = promisify(execFile);
const depcruise = join(repoRoot, "node_modules", ".bin", "depcruise");

/** Runs the project's dependency check on the given paths: its exit code and what it printed. */
async function depcheck(...paths: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout } = await run(depcruise, [...paths, "--config", ".dependency-cruiser.cjs"], { cwd: repoRoot });
    return { code: 0, output: stdout };
  } catch (err) {
    const failed = err as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, output: `${failed.stdout ?? ""}${failed.stderr ?? ""}` };
  }
}

test("the tree as it stands has no import circle and no wrong-way import", async () => {
  const { code, output } = await depcheck("src", "bench");
  assert.equal(code, 0, output);
  assert.match(output, /no dependency violations found/);
});

const planted = `planted-${process.pid}`;
const cases = [
  {
    name: "the node agent importing a controller",
    files: { [`src/node/${planted}.ts`]: `export { startControllerManager } from "../controllers/manager.js";\n` },
    want: new RegExp(`node-one-way: src/node/${planted}\\.ts → src/controllers/manager\\.ts`),
  },
  {
    name: "a client importing the apiserver",
    files: { [`src/client/${planted}.ts`]: `export { createApiServer } from "../apiserver/server.js";\n` },
    want: new RegExp(`client-one-way: src/client/${planted}\\.ts → src/apiserver/server\\.ts`),
  },
  {
    name: "the store importing the Kubernetes types",
    files: { [`src/store/${planted}.ts`]: `export type { PersistentVolume } from "../api/core/types.js";\n` },
    want: new RegExp(`store-one-way: src/store/${planted}\\.ts → src/api/core/types\\.ts`),
  },
  {
    name: "product code importing a test world",
    files: { [`src/cli/${planted}.ts`]: `export { startStowage } from "../e2e/stowage.js";\n` },
    want: new RegExp(`e2e-for-tests-only: src/cli/${planted}\\.ts → src/e2e/stowage\\.ts`),
  },
  {
    name: "two files importing each other",
    files: {
      [`src/support/${planted}-a.ts`]: `export { b } from "./${planted}-b.js";\nexport const a = 1;\n`,
      [`src/support/${planted}-b.ts`]: `export { a } from "./${planted}-a.js";\nexport const b = 2;\n`,
    },
    want: new RegExp(`no-circular: src/support/${planted}-[ab]\\.ts →`),
  },
];

for (const c of cases) {
  test(`the dependency check fails on ${c.name}`, async () => {
    const paths = Object.keys(c.files);
    try {
      for (const [path, text] of Object.entries(c.files)) await writeFile(join(repoRoot, path), text);
      const { code, output } = await depcheck(...paths);
      assert.notEqual(code, 0, `the check passed with ${paths.join(", ")} planted:\n${output}`);
      assert.match(output, c.want);
    } finally {
      for (const path of paths) await rm(join(repoRoot, path), { force: true });
    }
  });
}
