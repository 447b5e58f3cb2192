// Leader election for the CSI sidecars as csi-lib-utils does it: the Lease each upstream sidecar takes (named for
// the driver, sanitized to [a-zA-Z0-9-]), its identity the hostname, in the pod's namespace (POD_NAMESPACE, the
// ServiceAccount's namespace file, else "default"), 15 s / 10 s / 5 s. Unlike upstream it is on by default
// (--leader-election=false turns it off): a sidecar run as its own process is meant to run twice.
import type { Command } from "commander";
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { durationFlag } from "./flags.js";
import { boolFlag } from "./leaderelectflags.js";

export interface SidecarLeaderFlags {
  leaderElection: boolean;
  leaderElectionNamespace?: string;
  leaderElectionLeaseDuration: number;
  leaderElectionRenewDeadline: number;
  leaderElectionRetryPeriod: number;
}

export function addSidecarLeaderFlags(command: Command): Command {
  return command
    .option(
      "--leader-election [bool]",
      "work only while holding the sidecar's Lease, so that several copies can run (--leader-election=false: always)",
      boolFlag,
      true,
    )
    .option("--leader-election-namespace <namespace>", "the Lease's namespace (default: the pod's, else default)")
    .option(
      "--leader-election-lease-duration <duration>",
      "how long a silent leader keeps the Lease",
      durationFlag,
      15_000,
    )
    .option("--leader-election-renew-deadline <duration>", "how long the leader tries to renew", durationFlag, 10_000)
    .option("--leader-election-retry-period <duration>", "how often candidates try", durationFlag, 5_000);
}

/** csi-lib-utils' sanitizeName: anything but letters, digits and "-" becomes "-"; a trailing "-" gets an "X". */
export function sanitizeLeaseName(name: string): string {
  const sanitized = name.replace(/[^a-zA-Z0-9-]/g, "-");
  return sanitized.endsWith("-") ? `${sanitized}X` : sanitized;
}

/** The Lease each upstream sidecar takes for a driver. */
export function sidecarLeaseName(sidecar: string, driver: string): string {
  switch (sidecar) {
    case "csi-provisioner":
      return sanitizeLeaseName(driver.replaceAll("/", "-"));
    case "csi-attacher":
      return sanitizeLeaseName(`external-attacher-leader-${driver}`);
    case "csi-resizer":
      return sanitizeLeaseName(`external-resizer-${driver}`);
    case "csi-snapshotter":
      return sanitizeLeaseName(`external-snapshotter-leader-${driver}`);
    case "csi-external-health-monitor-controller":
      return sanitizeLeaseName(`external-health-monitor-leader-${driver}`);
    default:
      return sanitizeLeaseName(`${sidecar}-${driver}`);
  }
}

/** csi-lib-utils' inClusterNamespace. */
export function sidecarLeaseNamespace(flags: SidecarLeaderFlags): string {
  if (flags.leaderElectionNamespace) return flags.leaderElectionNamespace;
  if (process.env.POD_NAMESPACE) return process.env.POD_NAMESPACE;
  try {
    const namespace = readFileSync("/var/run/secrets/kubernetes.io/serviceaccount/namespace", "utf8").trim();
    if (namespace) return namespace;
  } catch {
    // not in a pod
  }
  return "default";
}

/** Upstream's identity: the hostname, so a restarted sidecar takes its own Lease back at once. */
export const sidecarIdentity = (): string => sanitizeLeaseName(hostname());
