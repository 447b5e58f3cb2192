// The OpenAPI definitions of every served kind, generated from our types by generate.ts into definitions.json
// (kept in src/, read at run time from both src/ and dist/, as csi.proto is).
import { readFileSync } from "node:fs";
import type { Schema } from "./schema.js";

let loaded: Record<string, Schema> | undefined;

/** Definitions keyed by upstream's names (io.k8s.api.core.v1.PersistentVolumeClaim); read once, then shared. */
export function openApiDefinitions(): Readonly<Record<string, Schema>> {
  loaded ??= JSON.parse(
    readFileSync(new URL("../../../src/api/openapi/definitions.json", import.meta.url), "utf8"),
  ) as Record<string, Schema>;
  return loaded;
}
