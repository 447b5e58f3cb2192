// The `stowage` command line (DESIGN.md "The command line"): one file per command, wired here.
import { Command, CommanderError } from "commander";
import { guardProcess } from "../support/guard.js";
import { registerCsi } from "./csi.js";
import { registerVersion } from "./version.js";
import { registerUp } from "./up.js";
import { registerDown } from "./down.js";
import { registerCompletion } from "./completion.js";
import { registerDashboard } from "./dashboard.js";
import { registerApiserver } from "./apiserver.js";
import { registerKubeconfig } from "./kubeconfig.js";
import { registerControllerManager } from "./controllermanager.js";
import { registerCsiAttacher } from "./csiattacher.js";
import { registerCsiResizer } from "./csiresizer.js";
import { registerCsiHealthMonitor } from "./csihealthmonitor.js";
import { registerNode } from "./node.js";
import { registerScheduler } from "./scheduler.js";
import { registerCsiProvisioner } from "./csiprovisioner.js";
import { registerCsiSnapshotter } from "./csisnapshotter.js";
import { registerExplain } from "./explain.js";
import { registerBackup } from "./backup.js";
import { registerBackupLocation } from "./backuplocation.js";
import { registerRestore } from "./restore.js";
import { registerSchedule } from "./schedule.js";

const program = new Command("stowage")
  .description("Kubernetes persistent storage as a standalone, Kubernetes-compatible control plane")
  .showHelpAfterError()
  .exitOverride();

// Each command file exports register(program). Add yours to this list.
const commands: Array<(program: Command) => void> = [
  registerVersion,
  registerCsi,
  registerUp,
  registerDown,
  registerApiserver,
  registerKubeconfig,
  registerControllerManager,
  registerCsiAttacher,
  registerCsiResizer,
  registerCsiHealthMonitor,
  registerScheduler,
  registerNode,
  registerCsiProvisioner,
  registerCsiSnapshotter,
  registerExplain,
  registerBackupLocation,
  registerBackup,
  registerRestore,
  registerSchedule,
  registerCompletion,
  registerDashboard,
];
for (const register of commands) register(program);

// One process may run every part: nothing a client sends may end it (support/guard.ts).
guardProcess((message, fields) => console.error(message, fields));

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode);
  // The guard would log a failed start and keep an idle process: a command that could not start exits 1.
  console.error(err);
  process.exit(1);
}
