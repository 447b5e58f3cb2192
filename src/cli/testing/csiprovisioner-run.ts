// `node --import tsx run.ts csi-provisioner --csi-address … --kubeconfig …`: the real command, alone in a process,
// for tests that SIGKILL it (not through src/cli/main.ts, so they do not depend on every other command loading).
import { Command, CommanderError } from "commander";
import { registerCsiProvisioner } from "../csiprovisioner.js";

const program = new Command("stowage").exitOverride();
registerCsiProvisioner(program);
try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode);
  throw err;
}
