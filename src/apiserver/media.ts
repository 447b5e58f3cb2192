// Content negotiation: which representation a client accepts (JSON, a meta.k8s.io Table, partial object
// metadata) and what a request body is (JSON, YAML, or one of the patch types).
import { notAcceptable } from "./errors.js";

export type Representation = "object" | "table" | "metadata";

interface MediaRange {
  type: string;
  params: Record<string, string>;
}

function parseMediaRanges(header: string): MediaRange[] {
  return header
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const [type, ...params] = part.split(";").map((p) => p.trim());
      const parsed: Record<string, string> = {};
      for (const p of params) {
        const eq = p.indexOf("=");
        if (eq > 0) parsed[p.slice(0, eq).trim().toLowerCase()] = p.slice(eq + 1).trim();
      }
      return { type: type.toLowerCase(), params: parsed };
    });
}

const jsonLike = (type: string) => type === "application/json" || type === "*/*" || type === "application/*";

export const acceptedMediaTypes = [
  "application/json",
  "application/yaml",
  "application/json;as=Table;v=v1;g=meta.k8s.io",
];

/** The first representation of `accept` we can produce; 406 when none. */
export function negotiate(
  accept: string | undefined,
  allowTable: boolean,
): { representation: Representation; yaml: boolean } {
  if (!accept) return { representation: "object", yaml: false };
  for (const range of parseMediaRanges(accept)) {
    const as = range.params.as;
    if (as) {
      if (!jsonLike(range.type)) continue;
      const g = range.params.g;
      const v = range.params.v;
      if (g !== "meta.k8s.io" || v !== "v1") continue;
      if (as === "Table" && allowTable) return { representation: "table", yaml: false };
      if (as === "PartialObjectMetadata" || as === "PartialObjectMetadataList") {
        return { representation: "metadata", yaml: false };
      }
      continue;
    }
    if (jsonLike(range.type)) return { representation: "object", yaml: false };
    if (range.type === "application/yaml") return { representation: "object", yaml: true };
  }
  throw notAcceptable(["application/json", "application/yaml"]);
}

export type BodyType =
  "json" | "yaml" | "protobuf" | "json-patch" | "merge-patch" | "strategic-merge-patch" | "apply-patch";

export function bodyType(contentType: string | undefined): BodyType | undefined {
  const type = (contentType ?? "application/json").split(";")[0].trim().toLowerCase();
  switch (type) {
    case "":
    case "application/json":
      return "json";
    case "application/yaml":
    case "application/x-yaml":
    case "text/yaml":
      return "yaml";
    case "application/vnd.kubernetes.protobuf":
      return "protobuf";
    case "application/json-patch+json":
      return "json-patch";
    case "application/merge-patch+json":
      return "merge-patch";
    case "application/strategic-merge-patch+json":
      return "strategic-merge-patch";
    case "application/apply-patch+yaml":
    case "application/apply-patch+cbor":
      return "apply-patch";
    default:
      return undefined;
  }
}
