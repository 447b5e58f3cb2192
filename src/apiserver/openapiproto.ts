// The OpenAPI v2 document in protocol buffers, as kube-apiserver sends it to kubectl (which asks for
// application/com.github.proto-openapi.spec.v2@v1.0+protobuf and validates manifests against it): gnostic's
// openapi.v2 messages. Only the messages and fields our documents use are declared; their names and numbers are
// gnostic's (github.com/google/gnostic-models, openapiv2/OpenAPIv2.proto), so any gnostic reader decodes them.
import protobuf from "protobufjs";
import type { Schema } from "../api/openapi/schema.js";

const fields = (spec: Record<string, [number, string, "repeated"?]>) =>
  Object.fromEntries(
    Object.entries(spec).map(([name, [id, type, rule]]) => [name, rule ? { id, type, rule } : { id, type }]),
  );

const root = protobuf.Root.fromJSON({
  nested: {
    openapi: {
      nested: {
        v2: {
          nested: {
            Document: {
              fields: fields({
                swagger: [1, "string"],
                info: [2, "Info"],
                paths: [8, "Paths"],
                definitions: [9, "Definitions"],
              }),
            },
            Info: { fields: fields({ title: [1, "string"], version: [2, "string"] }) },
            Paths: { fields: fields({ path: [2, "NamedPathItem", "repeated"] }) },
            NamedPathItem: { fields: fields({ name: [1, "string"] }) },
            Definitions: { fields: fields({ additional_properties: [1, "NamedSchema", "repeated"] }) },
            NamedSchema: { fields: fields({ name: [1, "string"], value: [2, "Schema"] }) },
            Schema: {
              fields: fields({
                _ref: [1, "string"],
                format: [2, "string"],
                description: [4, "string"],
                required: [19, "string", "repeated"],
                enum: [20, "Any", "repeated"],
                additional_properties: [21, "AdditionalPropertiesItem"],
                type: [22, "TypeItem"],
                items: [23, "ItemsItem"],
                all_of: [24, "Schema", "repeated"],
                properties: [25, "Properties"],
                vendor_extension: [31, "NamedAny", "repeated"],
              }),
            },
            AdditionalPropertiesItem: {
              oneofs: { oneof: { oneof: ["schema", "boolean"] } },
              fields: fields({ schema: [1, "Schema"], boolean: [2, "bool"] }),
            },
            TypeItem: { fields: fields({ value: [1, "string", "repeated"] }) },
            ItemsItem: { fields: fields({ schema: [1, "Schema", "repeated"] }) },
            Properties: { fields: fields({ additional_properties: [1, "NamedSchema", "repeated"] }) },
            NamedAny: { fields: fields({ name: [1, "string"], value: [2, "Any"] }) },
            // gnostic carries an extension's value as YAML text (field 2); JSON is YAML.
            Any: { fields: fields({ yaml: [2, "string"] }) },
          },
        },
      },
    },
  },
});
const documentType = root.lookupType("openapi.v2.Document");

interface GnosticSchema {
  _ref?: string;
  format?: string;
  description?: string;
  required?: string[];
  enum?: { yaml: string }[];
  additional_properties?: { schema: GnosticSchema } | { boolean: boolean };
  type?: { value: string[] };
  items?: { schema: GnosticSchema[] };
  all_of?: GnosticSchema[];
  properties?: { additional_properties: { name: string; value: GnosticSchema }[] };
  vendor_extension?: { name: string; value: { yaml: string } }[];
}

const yaml = (value: unknown) => ({ yaml: `${JSON.stringify(value)}\n` });

function gnosticSchema(schema: Schema): GnosticSchema {
  const out: GnosticSchema = {};
  if (schema.$ref) out._ref = schema.$ref;
  if (schema.format) out.format = schema.format;
  if (schema.description) out.description = schema.description;
  if (schema.required) out.required = schema.required;
  if (schema.enum) out.enum = schema.enum.map(yaml);
  if (typeof schema.additionalProperties === "boolean") {
    out.additional_properties = { boolean: schema.additionalProperties };
  } else if (schema.additionalProperties) {
    out.additional_properties = { schema: gnosticSchema(schema.additionalProperties) };
  }
  if (schema.type) out.type = { value: [schema.type] };
  if (schema.items) out.items = { schema: [gnosticSchema(schema.items)] };
  if (schema.allOf) out.all_of = schema.allOf.map(gnosticSchema);
  if (schema.properties) {
    out.properties = {
      additional_properties: Object.entries(schema.properties).map(([name, value]) => ({
        name,
        value: gnosticSchema(value),
      })),
    };
  }
  const extensions = Object.entries(schema).filter(([key]) => key.startsWith("x-"));
  if (extensions.length) out.vendor_extension = extensions.map(([name, value]) => ({ name, value: yaml(value) }));
  return out;
}

export interface OpenApiV2Document {
  swagger: "2.0";
  info: { title: string; version: string };
  paths: Record<string, never>;
  definitions: Record<string, Schema>;
}

/** The document as gnostic's openapi.v2.Document. */
export function encodeOpenApiV2(doc: OpenApiV2Document): Uint8Array {
  const message = documentType.fromObject({
    swagger: doc.swagger,
    info: doc.info,
    paths: {},
    definitions: {
      additional_properties: Object.entries(doc.definitions).map(([name, value]) => ({
        name,
        value: gnosticSchema(value),
      })),
    },
  });
  return documentType.encode(message).finish();
}

/** Decodes what encodeOpenApiV2 wrote back into plain objects (gnostic's field names), for tests. */
export function decodeOpenApiV2(bytes: Uint8Array): Record<string, unknown> {
  return documentType.toObject(documentType.decode(bytes), { defaults: false }) as Record<string, unknown>;
}
