// /openapi/v2 and the schemas of the /openapi/v3 documents, from the definitions generated from our types
// (src/api/openapi). kubectl validates manifests against v2 (`apply -f` of a List, `--validate` where a kind has
// no v3 path) and explains fields from v3; other clients generate code from either.
import { createHash } from "node:crypto";
import type { ApiRequest, ApiResponse } from "../api/http.js";
import { openApiDefinitions } from "../api/openapi/definitions.js";
import { definitionName, refName, type Schema } from "../api/openapi/schema.js";
import type { ResourceDefinition } from "../api/resource.js";
import { encodeOpenApiV2, type OpenApiV2Document } from "./openapiproto.js";

/** What kube-apiserver's OpenAPI handler answers protobuf for (either spelling). */
const protobufTypes = [
  "application/com.github.proto-openapi.spec.v2@v1.0+protobuf",
  "application/com.github.proto-openapi.spec.v2.v1.0+protobuf",
];
const protobufResponseType = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

function etagOf(body: Uint8Array): string {
  return `"${createHash("sha512").update(body).digest("hex").slice(0, 64).toUpperCase()}"`;
}

/** GET /openapi/v2 → the JSON or protobuf document, as the Accept header asks; both made on first use. */
export function openApiV2Handler(gitVersion: string): (request: ApiRequest) => ApiResponse {
  let json: Uint8Array | undefined;
  let protobuf: Uint8Array | undefined;
  const doc = (): OpenApiV2Document => ({
    swagger: "2.0",
    info: { title: "Kubernetes", version: gitVersion },
    paths: {},
    definitions: { ...openApiDefinitions() },
  });
  return (request) => {
    const accept = request.headers["accept"] ?? "";
    const wantsProtobuf = protobufTypes.some((type) => accept.includes(type));
    const body = wantsProtobuf
      ? (protobuf ??= encodeOpenApiV2(doc()))
      : (json ??= new TextEncoder().encode(JSON.stringify(doc())));
    const etag = etagOf(body);
    const headers = {
      "content-type": wantsProtobuf ? protobufResponseType : "application/json",
      etag,
      vary: "Accept",
    };
    if (request.headers["if-none-match"] === etag) return { status: 304, headers, body: new Uint8Array() };
    return { status: 200, headers, body };
  };
}

const v3Ref = (ref: string) => `#/components/schemas/${refName(ref)}`;

/** A v2 schema in v3's form: refs under components, a ref with a description of its own wrapped in allOf. */
function toV3(schema: Schema): Schema {
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === "$ref") continue;
    if (key === "properties") {
      out.properties = Object.fromEntries(
        Object.entries(value as Record<string, Schema>).map(([k, v]) => [k, toV3(v)]),
      );
    } else if (key === "items" || (key === "additionalProperties" && typeof value === "object")) {
      Object.assign(out, { [key]: toV3(value as Schema) });
    } else if (key === "allOf") {
      out.allOf = (value as Schema[]).map(toV3);
    } else {
      Object.assign(out, { [key]: value });
    }
  }
  if (!schema.$ref) return out;
  if (Object.keys(out).length === 0) return { $ref: v3Ref(schema.$ref) };
  return { allOf: [{ $ref: v3Ref(schema.$ref) }], ...out };
}

function refsOf(schema: unknown, into: Set<string>): void {
  if (!schema || typeof schema !== "object") return;
  for (const [key, value] of Object.entries(schema)) {
    if (key === "$ref" && typeof value === "string") into.add(refName(value));
    else refsOf(value, into);
  }
}

/** components.schemas of one group-version's v3 document: its kinds, their lists, and all they refer to. */
export function openApiV3Schemas(resources: ResourceDefinition[]): Record<string, Schema> {
  const definitions = openApiDefinitions();
  const names = new Set<string>();
  const pending = resources.flatMap((r) => {
    const name = definitionName(r.group, r.version, r.kind);
    return [name, `${name}List`];
  });
  pending.push("io.k8s.apimachinery.pkg.apis.meta.v1.Status", "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions");
  while (pending.length) {
    const name = pending.pop() as string;
    if (names.has(name) || !definitions[name]) continue;
    names.add(name);
    const refs = new Set<string>();
    refsOf(definitions[name], refs);
    pending.push(...refs);
  }
  return Object.fromEntries(
    [...names].sort().map((name) => [name, v3Overrides[name]?.(definitions[name]) ?? toV3(definitions[name])]),
  );
}

/** v3 can say what v2 could not: a Quantity is a string or a number, an IntOrString an integer or a string. */
const v3Overrides: Record<string, (schema: Schema) => Schema> = {
  "io.k8s.apimachinery.pkg.api.resource.Quantity": ({ description }) => ({
    description,
    oneOf: [{ type: "string" }, { type: "number" }],
  }),
  "io.k8s.apimachinery.pkg.util.intstr.IntOrString": ({ description }) => ({
    description,
    anyOf: [{ type: "integer" }, { type: "string" }],
    "x-kubernetes-int-or-string": true,
  }),
};
