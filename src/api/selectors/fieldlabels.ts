// Which field selectors each kind accepts, as upstream's field label conversion functions define them
// (pkg/apis/core/v1/conversion.go; runtime.DefaultMetaV1FieldSelectorConversion for every other kind), with their
// two different refusals: "field label not supported: x" for kinds that register a function, and
// `"x" is not a known field selector: only "metadata.name", "metadata.namespace"` for the rest; custom resources
// (VolumeSnapshots) accept metadata.name and, when namespaced, metadata.namespace.
import { SelectorParseError } from "./errors.js";
import { transformFieldSelector, type FieldMatcher } from "./fields.js";
import { goQuote } from "./validation.js";

interface FieldLabelConversion {
  supported: readonly string[];
  /** Old spellings upstream still accepts and rewrites. */
  renamed?: Readonly<Record<string, string>>;
}

/** Keyed by "group/version/Kind" ("" group for core). Data, checked against upstream's conversion.go. */
export const fieldLabelConversions: Readonly<Record<string, FieldLabelConversion>> = {
  "/v1/Pod": {
    supported: [
      "metadata.name",
      "metadata.namespace",
      "spec.nodeName",
      "spec.restartPolicy",
      "spec.schedulerName",
      "spec.serviceAccountName",
      "spec.hostNetwork",
      "status.phase",
      "status.podIP",
      "status.podIPs",
      "status.nominatedNodeName",
    ],
    // backwards compatibility with old v1 clients which send spec.host
    renamed: { "spec.host": "spec.nodeName" },
  },
  "/v1/Node": { supported: ["metadata.name", "spec.unschedulable"] },
  "/v1/Event": {
    supported: [
      "involvedObject.kind",
      "involvedObject.namespace",
      "involvedObject.name",
      "involvedObject.uid",
      "involvedObject.apiVersion",
      "involvedObject.resourceVersion",
      "involvedObject.fieldPath",
      "reason",
      "reportingComponent",
      "source",
      "type",
      "metadata.namespace",
      "metadata.name",
    ],
  },
  "/v1/Namespace": { supported: ["status.phase", "metadata.name"] },
  "/v1/Secret": { supported: ["type", "metadata.namespace", "metadata.name"] },
};

/**
 * Groups served as CustomResourceDefinitions upstream (the external-snapshotter's VolumeSnapshot kinds), whose
 * field selectors apiextensions converts (the same list as the patch package's customResourceGroups).
 */
export const customResourceGroups: readonly string[] = ["snapshot.storage.k8s.io"];

/** upstream's message for a field label a kind's conversion function refuses. */
export const fieldLabelNotSupported = (field: string): string => `field label not supported: ${field}`;

/**
 * Scheme.ConvertFieldLabel applied to every term (Selector.Transform): accepted fields pass (old spellings are
 * rewritten), anything else throws SelectorParseError with upstream's message (the apiserver answers 400).
 */
export function convertFieldSelector(
  matcher: FieldMatcher,
  kind: { group: string; version: string; kind: string; namespaced?: boolean },
): FieldMatcher {
  const conversion = fieldLabelConversions[`${kind.group}/${kind.version}/${kind.kind}`];
  const customResource = customResourceGroups.includes(kind.group);
  return transformFieldSelector(matcher, (field, value) => {
    if (customResource) {
      // apiextensions' crConverter: metadata.name, and metadata.namespace for namespaced kinds only
      if (field === "metadata.name" || (field === "metadata.namespace" && kind.namespaced !== false))
        return { field, value };
      throw new SelectorParseError(fieldLabelNotSupported(field));
    }
    if (!conversion) {
      if (field === "metadata.name" || field === "metadata.namespace") return { field, value };
      throw new SelectorParseError(
        `${goQuote(field)} is not a known field selector: only "metadata.name", "metadata.namespace"`,
      );
    }
    if (conversion.supported.includes(field)) return { field, value };
    const renamed = conversion.renamed?.[field];
    if (renamed !== undefined) return { field: renamed, value };
    throw new SelectorParseError(fieldLabelNotSupported(field));
  });
}
