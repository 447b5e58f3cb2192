// Discovery as kubectl reads it: /version, /api, /api/v1, /apis, /apis/{group}[/{version}] (the legacy,
// unaggregated form: client-go falls back to it cleanly when the answer is plain application/json), and the
// OpenAPI v3 index kubectl consults before apply/create/edit. Our v3 documents describe each resource's PATCH
// operation (with the fieldValidation parameter, so kubectl leaves validation to the server, and without
// strategic-merge in requestBody, so kubectl computes apply patches from its built-in types) and the schemas of
// the group-version's kinds (`kubectl explain`).
import { createHash } from "node:crypto";
import type { ResourceDefinition } from "../api/resource.js";
import { apiVersionOf } from "./decode.js";
import { openApiV3Schemas } from "./openapi.js";
import { scalable } from "./scale.js";

export const kubernetesVersion = { major: "1", minor: "32", gitVersion: "v1.32.0" };

export function versionInfo(stowageVersion: string): Record<string, string> {
  return {
    major: kubernetesVersion.major,
    minor: kubernetesVersion.minor,
    gitVersion: kubernetesVersion.gitVersion,
    gitCommit: `stowage-${stowageVersion}`,
    gitTreeState: "clean",
    buildDate: "2026-01-01T00:00:00Z",
    goVersion: "go1.23.0",
    compiler: "gc",
    platform: `${process.platform}/${process.arch === "x64" ? "amd64" : process.arch}`,
  };
}

export interface GroupVersion {
  group: string;
  version: string;
  resources: ResourceDefinition[];
}

export function groupVersions(definitions: ResourceDefinition[]): GroupVersion[] {
  const byGv = new Map<string, GroupVersion>();
  for (const def of definitions) {
    const key = `${def.group}/${def.version}`;
    let gv = byGv.get(key);
    if (!gv) byGv.set(key, (gv = { group: def.group, version: def.version, resources: [] }));
    gv.resources.push(def);
  }
  return [...byGv.values()];
}

const storageVersionHash = (def: ResourceDefinition) =>
  createHash("sha256").update(`${def.group}/${def.version}/${def.kind}`).digest("base64").slice(0, 11);

export function apiResourceList(gv: GroupVersion): Record<string, unknown> {
  const resources: Record<string, unknown>[] = [];
  for (const def of gv.resources) {
    const resource: Record<string, unknown> = {
      name: def.plural,
      singularName: def.singular,
      namespaced: def.namespaced,
      kind: def.kind,
      verbs: def.verbs,
      storageVersionHash: storageVersionHash(def),
    };
    if (def.shortNames.length) resource.shortNames = def.shortNames;
    if (def.categories?.length) resource.categories = def.categories;
    resources.push(resource);
    if (def.hasStatus) {
      resources.push({
        name: `${def.plural}/status`,
        singularName: "",
        namespaced: def.namespaced,
        kind: def.kind,
        verbs: ["get", "patch", "update"],
      });
    }
    if (def.group === "" && def.plural === "namespaces") {
      resources.push({
        name: "namespaces/finalize",
        singularName: "",
        namespaced: false,
        kind: "Namespace",
        verbs: ["update"],
      });
    }
    if (scalable(def)) {
      resources.push({
        name: `${def.plural}/scale`,
        singularName: "",
        namespaced: true,
        group: "autoscaling",
        version: "v1",
        kind: "Scale",
        verbs: ["get", "patch", "update"],
      });
    }
    if (def.group === "" && def.plural === "serviceaccounts") {
      resources.push({
        name: "serviceaccounts/token",
        singularName: "",
        namespaced: true,
        group: "authentication.k8s.io",
        version: "v1",
        kind: "TokenRequest",
        verbs: ["create"],
      });
    }
    if (def.group === "" && def.plural === "pods") {
      resources.push({ name: "pods/binding", singularName: "", namespaced: true, kind: "Binding", verbs: ["create"] });
      // Served by podexec.ts and podlog.ts, proxied to the node's kubelet (upstream's kinds and verbs).
      resources.push({
        name: "pods/exec",
        singularName: "",
        namespaced: true,
        kind: "PodExecOptions",
        verbs: ["create", "get"],
      });
      resources.push({ name: "pods/log", singularName: "", namespaced: true, kind: "Pod", verbs: ["get"] });
    }
  }
  return {
    kind: "APIResourceList",
    apiVersion: "v1",
    groupVersion: gv.group ? `${gv.group}/${gv.version}` : gv.version,
    resources,
  };
}

export function apiVersions(address: string): Record<string, unknown> {
  return {
    kind: "APIVersions",
    versions: ["v1"],
    serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress: address }],
  };
}

function apiGroup(group: string, versions: string[]): Record<string, unknown> {
  const list = versions.map((version) => ({ groupVersion: `${group}/${version}`, version }));
  return { name: group, versions: list, preferredVersion: list[0] };
}

export function apiGroupList(gvs: GroupVersion[]): Record<string, unknown> {
  const groups = new Map<string, string[]>();
  for (const gv of gvs) if (gv.group) groups.set(gv.group, [...(groups.get(gv.group) ?? []), gv.version]);
  return {
    kind: "APIGroupList",
    apiVersion: "v1",
    groups: [...groups].map(([group, versions]) => apiGroup(group, versions)),
  };
}

export function apiGroupDoc(gvs: GroupVersion[], group: string): Record<string, unknown> | undefined {
  const versions = gvs.filter((gv) => gv.group === group).map((gv) => gv.version);
  if (!versions.length) return undefined;
  return { kind: "APIGroup", apiVersion: "v1", ...apiGroup(group, versions) };
}

// ---- OpenAPI v3 ---------------------------------------------------------------------------------------------

const gvPath = (gv: GroupVersion) => (gv.group ? `apis/${gv.group}/${gv.version}` : `api/${gv.version}`);

export function openApiV3Documents(gvs: GroupVersion[]): Map<string, string> {
  const docs = new Map<string, string>();
  for (const gv of gvs) {
    const paths: Record<string, unknown> = {};
    for (const def of gv.resources) {
      const base = `/${gvPath(gv)}${def.namespaced ? "/namespaces/{namespace}" : ""}/${def.plural}/{name}`;
      const gvk = { group: def.group, version: def.version, kind: def.kind };
      const operation = (action: string) => ({
        operationId: `${action}${def.kind}`,
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": gvk,
        parameters: [
          { name: "dryRun", in: "query", schema: { type: "string", uniqueItems: true } },
          { name: "fieldManager", in: "query", schema: { type: "string", uniqueItems: true } },
          { name: "fieldValidation", in: "query", schema: { type: "string", uniqueItems: true } },
        ],
        responses: { "200": { description: "OK" } },
      });
      paths[base] = {
        get: { ...operation("get"), parameters: [] },
        put: { ...operation("put"), requestBody: { content: { "*/*": {} }, required: true } },
        patch: {
          ...operation("patch"),
          requestBody: {
            content: { "application/json-patch+json": {}, "application/merge-patch+json": {} },
            required: true,
          },
        },
        parameters: [
          { name: "name", in: "path", required: true, schema: { type: "string", uniqueItems: true } },
          ...(def.namespaced
            ? [{ name: "namespace", in: "path", required: true, schema: { type: "string", uniqueItems: true } }]
            : []),
        ],
      };
    }
    const doc = {
      openapi: "3.0.0",
      info: { title: "Kubernetes", version: kubernetesVersion.gitVersion },
      paths,
      components: { schemas: openApiV3Schemas(gv.resources) },
    };
    docs.set(gvPath(gv), JSON.stringify(doc));
  }
  return docs;
}

export function openApiV3Index(docs: Map<string, string>): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const [path, doc] of docs) {
    const hash = createHash("sha512").update(doc).digest("hex").slice(0, 64).toUpperCase();
    paths[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=${hash}` };
  }
  return { paths };
}

export { apiVersionOf };
