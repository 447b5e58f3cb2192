// Test wiring only: `stowage up` (apiserver, controllers, one node with runtime none, hostpath storage) on its own
// temp dir, stopped and its mounts undone when the test ends: the world of every controller's kubectl test.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { unmountUnder } from "./mounts.js";
import { startStowage, type Stowage } from "./stowage.js";
import { defaultUpComponents } from "../cli/up.js";

/** `prefix` names the temp dir (e.g. "stowage-gc-"), so a leftover one says which test left it. */
export async function startUpWorld(t: TestContext, prefix: string): Promise<{ s: Stowage; dataDir: string }> {
  const dataDir = await mkdtemp(join(tmpdir(), prefix));
  // Registered before the start, so that a start that fails halfway still leaves nothing mounted behind.
  const started: Stowage[] = [];
  t.after(async () => {
    for (const stowage of started) await stowage.stop();
    await unmountUnder(dataDir);
    await rm(dataDir, { recursive: true, force: true });
  });
  const s = await startStowage(t, { dataDir, components: defaultUpComponents() });
  started.push(s);
  return { s, dataDir };
}
