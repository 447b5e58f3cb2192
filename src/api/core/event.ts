// core/v1 Event: validation, table and field selectors as upstream (pkg/apis/core/validation/events.go,
// printers.go printEvent, pkg/registry/core/event/strategy.go).
import { FieldPath, invalid, required } from "../field.js";
import type { FieldError } from "../field.js";
import type { ResourceDefinition } from "../resource.js";
import { column, nameColumn, translateTimestampSince } from "../table.js";
import { validateObjectMeta, validateObjectMetaUpdate } from "../validation/meta.js";
import { isDNS1123Subdomain, isQualifiedName, nameIsDNSSubdomain } from "../validation/names.js";
import { standardVerbs } from "../verbs.js";
import type { Event } from "./types.js";

const reportingInstanceLengthLimit = 128;
const actionLengthLimit = 128;
const reasonLengthLimit = 128;
const noteLengthLimit = 1024;

/** upstream's legacyValidateEvent for core/v1 requests. */
function validateEvent(event: Event): FieldError[] {
  const errs = validateObjectMeta(event.metadata, true, nameIsDNSSubdomain);
  const namespace = event.metadata.namespace ?? "";
  const involvedNamespace = event.involvedObject?.namespace ?? "";
  const nsPath = FieldPath.root("involvedObject", "namespace");
  if (!event.eventTime) {
    // an old-style event: its namespace must agree with the involved object's (cluster objects: "" or default)
    if (involvedNamespace === "") {
      if (namespace !== "" && namespace !== "default")
        errs.push(invalid(nsPath, involvedNamespace, "does not match event.namespace"));
    } else if (namespace !== involvedNamespace) {
      errs.push(invalid(nsPath, involvedNamespace, "does not match event.namespace"));
    }
  } else {
    if (involvedNamespace === "" && namespace !== "default" && namespace !== "kube-system") {
      errs.push(invalid(nsPath, involvedNamespace, "does not match event.namespace"));
    }
    if (!event.reportingComponent) errs.push(required(FieldPath.root("reportingComponent")));
    for (const msg of isQualifiedName(event.reportingComponent ?? "")) {
      errs.push(invalid(FieldPath.root("reportingComponent"), event.reportingComponent ?? "", msg));
    }
    if (!event.reportingInstance) errs.push(required(FieldPath.root("reportingInstance")));
    if ((event.reportingInstance ?? "").length > reportingInstanceLengthLimit) {
      errs.push(
        invalid(FieldPath.root("reportingInstance"), "", `can have at most ${reportingInstanceLengthLimit} characters`),
      );
    }
    if (!event.action) errs.push(required(FieldPath.root("action")));
    if ((event.action ?? "").length > actionLengthLimit) {
      errs.push(invalid(FieldPath.root("action"), "", `can have at most ${actionLengthLimit} characters`));
    }
    if (!event.reason) errs.push(required(FieldPath.root("reason")));
    if ((event.reason ?? "").length > reasonLengthLimit) {
      errs.push(invalid(FieldPath.root("reason"), "", `can have at most ${reasonLengthLimit} characters`));
    }
    if ((event.message ?? "").length > noteLengthLimit) {
      errs.push(invalid(FieldPath.root("message"), "", `can have at most ${noteLengthLimit} characters`));
    }
  }
  for (const msg of isDNS1123Subdomain(namespace)) errs.push(invalid(FieldPath.root("namespace"), namespace, msg));
  return errs;
}

function eventSource(event: Event): string {
  const component = event.source?.component || event.reportingComponent || "";
  const instance = event.source?.host || event.reportingInstance || "";
  return instance ? `${component}, ${instance}` : component;
}

export const events: ResourceDefinition<Event> = {
  group: "",
  version: "v1",
  kind: "Event",
  listKind: "EventList",
  plural: "events",
  singular: "event",
  shortNames: ["ev"],
  namespaced: true,
  hasStatus: false,
  verbs: standardVerbs,
  applyDefaults() {},
  validateCreate: validateEvent,
  validateUpdate: (event, old) => [...validateObjectMetaUpdate(event.metadata, old.metadata), ...validateEvent(event)],
  table: {
    // upstream's order; the server always sends the wide cells and kubectl hides priority 1
    columns: [
      column("Last Seen", "string", "The time at which the most recent occurrence of this event was recorded."),
      column("Type", "string", "Type of this event (Normal, Warning), new types could be added in the future"),
      column(
        "Reason",
        "string",
        "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.",
      ),
      column("Object", "string", "The object that this event is about."),
      column(
        "Subobject",
        "string",
        "If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2].",
        1,
      ),
      column(
        "Source",
        "string",
        "The component reporting this event. Should be a short machine understandable string.",
        1,
      ),
      column("Message", "string", "A human-readable description of the status of this operation."),
      column(
        "First Seen",
        "string",
        "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)",
        1,
      ),
      column("Count", "string", "The number of times this event has occurred.", 1),
      { ...nameColumn, priority: 1 },
    ],
    row(event, now) {
      const firstSeen = event.firstTimestamp
        ? translateTimestampSince(event.firstTimestamp, now)
        : translateTimestampSince(event.eventTime, now);
      let lastSeen = event.lastTimestamp ? translateTimestampSince(event.lastTimestamp, now) : firstSeen;
      let count = event.count ?? 0;
      if (event.series) {
        lastSeen = translateTimestampSince(event.series.lastObservedTime, now);
        count = event.series.count ?? 0;
      } else if (count === 0) count = 1; // singleton events of the new API carry no count
      const involved = event.involvedObject ?? {};
      const kind = (involved.kind ?? "").toLowerCase();
      const target = involved.name ? `${kind}/${involved.name}` : kind;
      return [
        lastSeen,
        event.type ?? "",
        event.reason ?? "",
        target,
        involved.fieldPath ?? "",
        eventSource(event),
        (event.message ?? "").trim(),
        firstSeen,
        count,
        event.metadata.name,
      ];
    },
  },
  selectableFields: (event) => ({
    "involvedObject.kind": event.involvedObject?.kind ?? "",
    "involvedObject.namespace": event.involvedObject?.namespace ?? "",
    "involvedObject.name": event.involvedObject?.name ?? "",
    "involvedObject.uid": event.involvedObject?.uid ?? "",
    "involvedObject.apiVersion": event.involvedObject?.apiVersion ?? "",
    "involvedObject.resourceVersion": event.involvedObject?.resourceVersion ?? "",
    "involvedObject.fieldPath": event.involvedObject?.fieldPath ?? "",
    reason: event.reason ?? "",
    reportingComponent: event.reportingComponent ?? "",
    source: event.source?.component || event.reportingComponent || "",
    type: event.type ?? "",
  }),
};
