// Refreshes upstream.json, the facts about upstream's schemas that our types cannot carry: descriptions,
// x-kubernetes-* extensions, integer formats, and the fields we store but never read. A developer's tool, run as
//   node --import tsx src/api/openapi/extract.ts <kubernetes swagger.json> <external-snapshotter crd dir>
// with kube-apiserver's api/openapi-spec/swagger.json and external-snapshotter's client/config/crd. It keeps only
// the definitions our served kinds reach, so the file stays small; `npm run gen:openapi` then merges it with our
// types into definitions.json.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { resources } from "../resources.js";
import { definitionName, type Schema } from "./schema.js";

interface Crd {
  spec: { names: { kind: string }; versions: { name: string; schema: { openAPIV3Schema: Schema } }[] };
}

const objectMetaRef = "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";

/** A CRD's schema as kube-apiserver publishes it: metadata by reference, the rest inline. */
function crdDefinition(schema: Schema): Schema {
  const properties = { ...schema.properties };
  properties.metadata = { $ref: objectMetaRef, description: properties.metadata?.description };
  if (!properties.metadata.description) delete properties.metadata.description;
  return { ...schema, properties };
}

function refsOf(schema: unknown, into: Set<string>): void {
  if (!schema || typeof schema !== "object") return;
  for (const [key, value] of Object.entries(schema)) {
    if (key === "$ref" && typeof value === "string") into.add(value.replace("#/definitions/", ""));
    else refsOf(value, into);
  }
}

function main(swaggerFile: string, crdDir: string): void {
  const swagger = JSON.parse(readFileSync(swaggerFile, "utf8")) as { definitions: Record<string, Schema> };
  const all: Record<string, Schema> = { ...swagger.definitions };
  for (const file of ["volumesnapshots", "volumesnapshotcontents", "volumesnapshotclasses"]) {
    const crd = parse(readFileSync(join(crdDir, `snapshot.storage.k8s.io_${file}.yaml`), "utf8")) as Crd;
    const v1 = crd.spec.versions.find((v) => v.name === "v1");
    if (v1) all[`io.k8s.storage.snapshot.v1.${crd.spec.names.kind}`] = crdDefinition(v1.schema.openAPIV3Schema);
  }
  const roots = resources.flatMap((r) => [definitionName(r.group, r.version, r.kind)]);
  roots.push(...roots.map((name) => `${name}List`));
  for (const kind of ["Status", "DeleteOptions", "WatchEvent", "APIResourceList", "APIGroupList"]) {
    roots.push(`io.k8s.apimachinery.pkg.apis.meta.v1.${kind}`);
  }
  const keep = new Set<string>();
  const pending = roots.filter((name) => all[name]);
  while (pending.length) {
    const name = pending.pop() as string;
    if (keep.has(name)) continue;
    keep.add(name);
    const refs = new Set<string>();
    refsOf(all[name], refs);
    for (const ref of refs) if (all[ref] && !keep.has(ref)) pending.push(ref);
  }
  const definitions: Record<string, Schema> = {};
  for (const name of [...keep].sort()) definitions[name] = all[name];
  const out = new URL("./upstream.json", import.meta.url);
  writeFileSync(out, JSON.stringify({ definitions }, null, 1) + "\n");
  console.log(`${keep.size} upstream definitions written to ${out.pathname}`);
}

const [swaggerFile, crdDir] = process.argv.slice(2);
if (!swaggerFile || !crdDir) {
  console.error(
    "usage: extract.ts <kubernetes api/openapi-spec/swagger.json> <external-snapshotter client/config/crd>",
  );
  process.exit(2);
}
main(swaggerFile, crdDir);
