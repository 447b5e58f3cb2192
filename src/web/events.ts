// Events about one object, newest last, as `kubectl describe` orders them: by their last time (lastTimestamp, else
// the event series' or eventTime, else creation).
import type { Event } from "../api/core/types.js";

export const eventTime = (event: Event): string =>
  event.series?.lastObservedTime ??
  event.lastTimestamp ??
  event.eventTime ??
  event.firstTimestamp ??
  event.metadata.creationTimestamp ??
  "";

export function eventsAbout(events: Event[], kind: string, name: string, namespace?: string): Event[] {
  return events
    .filter(
      (e) =>
        e.involvedObject.kind === kind &&
        e.involvedObject.name === name &&
        (e.involvedObject.namespace ?? undefined) === (namespace ?? undefined),
    )
    .sort((a, b) => (eventTime(a) < eventTime(b) ? -1 : eventTime(a) > eventTime(b) ? 1 : 0));
}

/** The object's latest event, if it is a Warning: what a stuck object is waiting on. */
export function latestWarning(events: Event[], kind: string, name: string, namespace?: string): Event | undefined {
  const about = eventsAbout(events, kind, name, namespace);
  const latest = about[about.length - 1];
  return latest?.type === "Warning" ? latest : undefined;
}
