// Runs the block driver as its own process, for tests that kill it (crash safety) and for trying it by hand:
//   node --import tsx src/csi/drivers/block/testing/run-driver.ts <endpoint> <node-id> <state-dir>
// It prints "ready" on stdout once serving, and stops cleanly on SIGTERM.
import { startDriver } from "../index.js";

const [endpoint, nodeId, stateDir] = process.argv.slice(2);
if (!endpoint || !nodeId || !stateDir) {
  process.stderr.write("usage: run-driver.ts <unix:///path.sock> <node-id> <state-dir>\n");
  process.exit(2);
}
const driver = await startDriver({ endpoint, nodeId, stateDir });
process.stdout.write("ready\n");
process.on("SIGTERM", () => void driver.stop().then(() => process.exit(0)));
