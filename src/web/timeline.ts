// A claim's timeline: when it was made, its events (provisioning, binding, resizing), the transitions its
// conditions record (Resizing, FileSystemResizePending), the phases the dashboard saw it pass through, and the
// snapshots taken of it — oldest first, as a reader follows a story.
import type { Event, PersistentVolumeClaim } from "../api/core/types.js";
import type { VolumeSnapshot } from "../api/snapshot/types.js";
import { eventTime, eventsAbout } from "./events.js";

export interface TimelineEntry {
  time: string;
  kind: "Created" | "Event" | "Condition" | "Phase" | "Snapshot";
  /** Normal or Warning for events. */
  type?: string;
  text: string;
}

export interface ObservedPhase {
  time: string;
  phase: string;
}

export function claimTimeline(
  claim: PersistentVolumeClaim,
  events: Event[],
  snapshots: VolumeSnapshot[],
  phases: ObservedPhase[] = [],
): TimelineEntry[] {
  const { name = "", namespace } = claim.metadata;
  const entries: TimelineEntry[] = [];
  if (claim.metadata.creationTimestamp) {
    entries.push({
      time: claim.metadata.creationTimestamp,
      kind: "Created",
      text: `claim ${namespace}/${name} created`,
    });
  }
  for (const event of eventsAbout(events, "PersistentVolumeClaim", name, namespace)) {
    const count = (event.count ?? 1) > 1 ? ` (x${event.count})` : "";
    entries.push({
      time: eventTime(event),
      kind: "Event",
      type: event.type ?? "Normal",
      text: `${event.reason ?? ""}: ${event.message ?? ""}${count}`,
    });
  }
  for (const condition of claim.status?.conditions ?? []) {
    if (!condition.lastTransitionTime) continue;
    const why = condition.message ? `: ${condition.message}` : "";
    entries.push({
      time: condition.lastTransitionTime,
      kind: "Condition",
      text: `${condition.type} ${condition.status}${why}`,
    });
  }
  for (const seen of phases) entries.push({ time: seen.time, kind: "Phase", text: `phase ${seen.phase}` });
  for (const snapshot of snapshots) {
    if (snapshot.metadata.namespace !== namespace || snapshot.spec.source.persistentVolumeClaimName !== name) continue;
    const ready = snapshot.status?.readyToUse ? "ready to use" : "not ready yet";
    const size = snapshot.status?.restoreSize ? `, restore size ${snapshot.status.restoreSize}` : "";
    entries.push({
      time: snapshot.metadata.creationTimestamp ?? "",
      kind: "Snapshot",
      text: `snapshot ${snapshot.metadata.name} (${ready}${size})`,
    });
  }
  return entries.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
}
