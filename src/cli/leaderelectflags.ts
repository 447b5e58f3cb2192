// kube-controller-manager's and kube-scheduler's leader election flags, under upstream's names and defaults:
// on unless --leader-elect=false, a 15 s lease renewed within 10 s, retried every 2 s.
import { InvalidArgumentError, type Command } from "commander";
import { durationFlag } from "./flags.js";

export interface LeaderElectFlags {
  leaderElect: boolean;
  leaderElectLeaseDuration: number;
  leaderElectRenewDeadline: number;
  leaderElectRetryPeriod: number;
  leaderElectResourceName: string;
  leaderElectResourceNamespace: string;
}

/** pflag's bool: what Go's strconv.ParseBool accepts. */
export function boolFlag(text: string): boolean {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(text)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(text)) return false;
  throw new InvalidArgumentError(`"${text}" is not a boolean: want true or false`);
}

export function addLeaderElectFlags(command: Command, lease: { namespace: string; name: string }): Command {
  return command
    .option(
      "--leader-elect [bool]",
      "work only while holding the Lease, so that several copies can run for availability (--leader-elect=false: always)",
      boolFlag,
      true,
    )
    .option(
      "--leader-elect-lease-duration <duration>",
      "how long a silent leader keeps the Lease",
      durationFlag,
      15_000,
    )
    .option(
      "--leader-elect-renew-deadline <duration>",
      "how long the leader tries to renew before it stops",
      durationFlag,
      10_000,
    )
    .option(
      "--leader-elect-retry-period <duration>",
      "how often candidates try and the leader renews",
      durationFlag,
      2_000,
    )
    .option("--leader-elect-resource-name <name>", "the Lease's name", lease.name)
    .option("--leader-elect-resource-namespace <namespace>", "the Lease's namespace", lease.namespace);
}

/** The Lease and timing the flags name, checked as upstream checks them. */
export function leaderElection(flags: LeaderElectFlags) {
  if (flags.leaderElectLeaseDuration <= flags.leaderElectRenewDeadline) {
    throw new Error("--leader-elect-lease-duration must be greater than --leader-elect-renew-deadline");
  }
  if (flags.leaderElectRenewDeadline <= flags.leaderElectRetryPeriod * 1.2) {
    throw new Error("--leader-elect-renew-deadline must be greater than 1.2 × --leader-elect-retry-period");
  }
  return {
    namespace: flags.leaderElectResourceNamespace,
    name: flags.leaderElectResourceName,
    leaseDurationMs: flags.leaderElectLeaseDuration,
    renewDeadlineMs: flags.leaderElectRenewDeadline,
    retryPeriodMs: flags.leaderElectRetryPeriod,
  };
}
