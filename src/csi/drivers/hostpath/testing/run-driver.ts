// `node --import tsx run.ts <endpoint> <node-id> <state-dir>`: the hostpath driver alone in a process, for tests
// that kill it. (Not through src/cli/main.ts, so these tests do not depend on every other command loading.)
import { startDriver } from "../index.js";

const [endpoint, nodeId, stateDir] = process.argv.slice(2);
const driver = await startDriver({ endpoint, nodeId, stateDir });
process.once("SIGTERM", () => void driver.stop().then(() => process.exit(0)));
