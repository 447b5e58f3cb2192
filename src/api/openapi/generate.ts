// Writes definitions.json, the OpenAPI definitions of every served kind, from our TypeScript types: each field's
// name, type, nesting and optionality come from the type the kind's ResourceDefinition is declared with; upstream.json
// adds what a type cannot say (upstream's descriptions, integer formats, x-kubernetes-* extensions, and the schema of
// fields upstream has that we store without reading, so that clients validating against us accept what they accept
// against kube-apiserver). Run `npm run gen:openapi` after changing a type; definitions.test.ts fails until then.
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { resources } from "../resources.js";
import { definitionName, definitionRef, refName, type Schema } from "./schema.js";

const here = (file: string) => fileURLToPath(new URL(`../../../src/api/openapi/${file}`, import.meta.url));
export const definitionsFile = here("definitions.json");

/** The annotations a field carries in upstream's schema besides its type. */
const fieldFacts = [
  "description",
  "x-kubernetes-list-type",
  "x-kubernetes-list-map-keys",
  "x-kubernetes-map-type",
  "x-kubernetes-patch-merge-key",
  "x-kubernetes-patch-strategy",
  "x-kubernetes-preserve-unknown-fields",
  "x-kubernetes-int-or-string",
  "x-kubernetes-embedded-resource",
] as const;

function factsOf(up: Schema | undefined): Schema {
  const facts: Schema = {};
  for (const key of fieldFacts) if (up?.[key] !== undefined) Object.assign(facts, { [key]: up[key] });
  return facts;
}

interface Walk {
  checker: ts.TypeChecker;
  upstream: Record<string, Schema>;
  out: Record<string, Schema>;
  /** Upstream definitions a schema refers to that no type of ours defines (Quantity, Time, fields we do not read). */
  wanted: Set<string>;
}

function sortedKeys<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(
    Object.keys(record)
      .sort()
      .map((k) => [k, record[k]]),
  );
}

/** An upstream schema taken as it is; the definitions it refers to are taken too. */
function upstreamCopy(walk: Walk, schema: Schema): Schema {
  const text = JSON.stringify(schema);
  for (const match of text.matchAll(/"\$ref":"([^"]+)"/g)) walk.wanted.add(refName(match[1]));
  return JSON.parse(text) as Schema;
}

function objectSchema(walk: Walk, type: ts.Type, up: Schema | undefined): Schema {
  const properties: Record<string, Schema> = {};
  const required: string[] = [];
  for (const symbol of walk.checker.getPropertiesOfType(type)) {
    const name = symbol.getName();
    const fieldType = walk.checker.getNonNullableType(walk.checker.getTypeOfSymbol(symbol));
    properties[name] = fieldSchema(walk, fieldType, up?.properties?.[name]);
    const optional = (symbol.flags & ts.SymbolFlags.Optional) !== 0;
    // Our types promise what the server returns; upstream's required list says what a client must send.
    if (!optional && (!up || up.required?.includes(name))) required.push(name);
  }
  for (const [name, schema] of Object.entries(up?.properties ?? {})) {
    if (!properties[name]) properties[name] = upstreamCopy(walk, schema);
  }
  const schema: Schema = { ...factsOf(up), type: "object", properties: sortedKeys(properties) };
  if (required.length) schema.required = required;
  return schema;
}

const isStringLike = (t: ts.Type) => (t.flags & ts.TypeFlags.StringLike) !== 0;
const isNumberLike = (t: ts.Type) => (t.flags & ts.TypeFlags.NumberLike) !== 0;
const isBooleanLike = (t: ts.Type) => (t.flags & ts.TypeFlags.BooleanLike) !== 0;
const every = (t: ts.Type, test: (t: ts.Type) => boolean) => (t.isUnion() ? t.types.every(test) : test(t));

function scalarSchema(t: ts.Type, up: Schema | undefined): Schema | undefined {
  if (every(t, isStringLike)) {
    const schema: Schema = { type: "string" };
    if (up?.format) schema.format = up.format;
    if (up?.enum) schema.enum = up.enum;
    return schema;
  }
  if (every(t, isBooleanLike)) return { type: "boolean" };
  if (every(t, isNumberLike)) {
    // A JavaScript number is either; upstream's Go type says which, and how wide.
    if (up?.type === "integer" || up?.type === "number")
      return up.format ? { type: up.type, format: up.format } : { type: up.type };
    return { type: "number" };
  }
  return undefined;
}

/** The schema of one field: its type from ours, its facts from upstream's same field. */
function fieldSchema(walk: Walk, t: ts.Type, up: Schema | undefined): Schema {
  const facts = factsOf(up);
  const ref = up?.$ref ?? up?.allOf?.[0]?.$ref;
  if (ref) {
    const name = refName(ref);
    const target = walk.upstream[name];
    if (target?.properties && walk.checker.getPropertiesOfType(t).length > 0) defineNamed(walk, name, t, target);
    else walk.wanted.add(name); // Quantity, Time, IntOrString, FieldsV1: upstream's scalar definitions
    return { $ref: definitionRef(name), ...facts };
  }
  return { ...facts, ...typeSchema(walk, t, up) };
}

function typeSchema(walk: Walk, t: ts.Type, up: Schema | undefined): Schema {
  const scalar = scalarSchema(t, up);
  if (scalar) return scalar;
  const { checker } = walk;
  if (checker.isArrayType(t)) {
    const element = checker.getTypeArguments(t as ts.TypeReference)[0];
    return { type: "array", items: fieldSchema(walk, checker.getNonNullableType(element), up?.items) };
  }
  if (t.flags & (ts.TypeFlags.Unknown | ts.TypeFlags.Any) || t.isUnion()) {
    return up ? upstreamCopy(walk, up) : { type: "object", "x-kubernetes-preserve-unknown-fields": true };
  }
  const index = checker.getIndexTypeOfType(t, ts.IndexKind.String);
  if (index && checker.getPropertiesOfType(t).length === 0) {
    const upValues = typeof up?.additionalProperties === "object" ? up.additionalProperties : undefined;
    const values = index.flags & (ts.TypeFlags.Unknown | ts.TypeFlags.Any) ? undefined : index;
    const schema: Schema = { type: "object" };
    schema.additionalProperties = values
      ? fieldSchema(walk, values, upValues)
      : upValues
        ? upstreamCopy(walk, upValues)
        : {};
    return schema;
  }
  return objectSchema(walk, t, up);
}

function defineNamed(walk: Walk, name: string, t: ts.Type, up: Schema | undefined): void {
  if (walk.out[name]) return;
  walk.out[name] = {}; // placeholder: a type that refers to itself stops here
  const schema = objectSchema(walk, t, up);
  for (const key of ["x-kubernetes-map-type", "x-kubernetes-group-version-kind"] as const) {
    if (up?.[key] !== undefined) Object.assign(schema, { [key]: up[key] });
  }
  walk.out[name] = schema;
}

/** The served kinds' types, in the order of `resources`: the T of each `widen(definition)`. */
function kindTypes(program: ts.Program, checker: ts.TypeChecker, file: string): ts.Type[] {
  const source = program.getSourceFile(file);
  if (!source) throw new Error(`${file} is not in the program`);
  const types: ts.Type[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === "widen") {
      const definition = checker.getTypeAtLocation(node.arguments[0]) as ts.TypeReference;
      types.push(checker.getTypeArguments(definition)[0]);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return types;
}

function listDefinition(walk: Walk, name: string, itemName: string): Schema {
  const up = walk.upstream[name];
  const listMeta = "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta";
  walk.wanted.add(listMeta);
  const items = { ...factsOf(up?.properties?.items), type: "array", items: { $ref: definitionRef(itemName) } };
  return {
    ...factsOf(up),
    type: "object",
    properties: {
      apiVersion: { ...factsOf(up?.properties?.apiVersion), type: "string" },
      items,
      kind: { ...factsOf(up?.properties?.kind), type: "string" },
      metadata: { $ref: definitionRef(listMeta), ...factsOf(up?.properties?.metadata) },
    },
    required: ["items"],
  };
}

/** Every served kind's definitions (and their lists'), as kube-apiserver would publish them, keyed and sorted by name. */
export function generateDefinitions(): Record<string, Schema> {
  const file = fileURLToPath(new URL("../../../src/api/resources.ts", import.meta.url));
  const program = ts.createProgram([file], {
    strict: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    noEmit: true,
  });
  const checker = program.getTypeChecker();
  const upstream = (JSON.parse(readFileSync(here("upstream.json"), "utf8")) as { definitions: Record<string, Schema> })
    .definitions;
  const walk: Walk = { checker, upstream, out: {}, wanted: new Set() };
  const types = kindTypes(program, checker, file);
  if (types.length !== resources.length) throw new Error(`found ${types.length} kinds for ${resources.length}`);
  resources.forEach((r, i) => {
    const name = definitionName(r.group, r.version, r.kind);
    defineNamed(walk, name, types[i], upstream[name]);
    walk.out[name]["x-kubernetes-group-version-kind"] = [{ group: r.group, version: r.version, kind: r.kind }];
    const list = listDefinition(walk, `${name}List`, name);
    list["x-kubernetes-group-version-kind"] = [{ group: r.group, version: r.version, kind: r.listKind }];
    walk.out[`${name}List`] = list;
  });
  for (const kind of ["Status", "DeleteOptions", "WatchEvent"])
    walk.wanted.add(`io.k8s.apimachinery.pkg.apis.meta.v1.${kind}`);
  // Upstream's own definitions for what none of our types defines, and whatever those refer to in turn.
  while (walk.wanted.size) {
    const [name] = walk.wanted;
    walk.wanted.delete(name);
    if (walk.out[name] || !upstream[name]) continue;
    walk.out[name] = upstreamCopy(walk, upstream[name]);
  }
  return sortedKeys(walk.out);
}

/** definitions.json's text: one definition per line, so that a change to one type is a small diff. */
export function definitionsText(definitions: Record<string, Schema>): string {
  const lines = Object.entries(definitions).map(
    ([name, schema]) => `${JSON.stringify(name)}:${JSON.stringify(schema)}`,
  );
  return `{\n${lines.join(",\n")}\n}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(definitionsFile, definitionsText(generateDefinitions()));
  console.log(`wrote ${definitionsFile}`);
}
