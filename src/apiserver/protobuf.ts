// The few Kubernetes protobuf bodies the real kubectl sends: its typed clients (kubectl create namespace,
// create configmap, create secret, create role/clusterrole/rolebinding/clusterrolebinding) POST
// "application/vnd.kubernetes.protobuf". We read those kinds' fields
// (numbers from upstream's generated.proto) into the same JSON object a JSON body gives; other kinds are refused
// with 415, and responses are always JSON (kubectl accepts both).
import { badRequest } from "./errors.js";
import { jobSchema, decode } from "./protobufjob.js";
import { Reader } from "./protobufreader.js";

function mapEntry(bytes: Uint8Array, valueAsBase64: boolean): [string, string] {
  const r = new Reader(bytes);
  let key = "";
  let value = "";
  for (const [field] of r.fields()) {
    if (field === 1) key = r.string();
    else if (field === 2) value = valueAsBase64 ? Buffer.from(r.bytes()).toString("base64") : r.string();
  }
  return [key, value];
}

function objectMeta(bytes: Uint8Array): Record<string, unknown> {
  const meta: Record<string, unknown> = {};
  const r = new Reader(bytes);
  const names: Record<number, string> = {
    1: "name",
    2: "generateName",
    3: "namespace",
    5: "uid",
    6: "resourceVersion",
  };
  for (const [field] of r.fields()) {
    if (names[field]) {
      // upstream's generated marshalling writes every string field, set or not: "" means unset
      const value = r.string();
      if (value !== "") meta[names[field]] = value;
    } else if (field === 11 || field === 12) {
      const key = field === 11 ? "labels" : "annotations";
      const [k, v] = mapEntry(r.bytes(), false);
      meta[key] = { ...((meta[key] as Record<string, string> | undefined) ?? {}), [k]: v };
    } else if (field === 14) meta.finalizers = [...((meta.finalizers as string[] | undefined) ?? []), r.string()];
  }
  return meta;
}

type KindReader = (r: Reader, field: number, out: Record<string, unknown>) => void;

/** A message of string fields (repeated ones collected into arrays), by field number → JSON name. */
function strings(bytes: Uint8Array, names: Record<number, string>, repeated: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const r = new Reader(bytes);
  for (const [field] of r.fields()) {
    const name = names[field];
    if (!name) continue;
    const value = r.string();
    if (repeated) out[name] = [...((out[name] as string[] | undefined) ?? []), value];
    else if (value !== "") out[name] = value;
  }
  return out;
}

const push = (out: Record<string, unknown>, key: string, value: unknown) => {
  out[key] = [...((out[key] as unknown[] | undefined) ?? []), value];
};

// rbac/v1 generated.proto: PolicyRule{verbs 1, apiGroups 2, resources 3, resourceNames 4, nonResourceURLs 5},
// Subject{kind 1, apiGroup 2, name 3, namespace 4}, RoleRef{apiGroup 1, kind 2, name 3}; Role and ClusterRole keep
// rules in 2; bindings keep subjects in 2 and roleRef in 3. (kubectl's generators never send aggregation rules.)
const policyRule = (bytes: Uint8Array) =>
  strings(bytes, { 1: "verbs", 2: "apiGroups", 3: "resources", 4: "resourceNames", 5: "nonResourceURLs" }, true);
const readRole: KindReader = (r, field, out) => {
  if (field === 2) push(out, "rules", policyRule(r.bytes()));
};
const readAccessReview: KindReader = (r, field, out) => {
  if (field !== 2) return;
  const spec: Record<string, unknown> = {};
  const sr = new Reader(r.bytes());
  for (const [f] of sr.fields()) {
    if (f === 1) {
      const names = { 1: "namespace", 2: "verb", 3: "group", 4: "version", 5: "resource", 6: "subresource", 7: "name" };
      spec.resourceAttributes = strings(sr.bytes(), names, false);
    } else if (f === 2) spec.nonResourceAttributes = strings(sr.bytes(), { 1: "path", 2: "verb" }, false);
    else if (f === 3) spec.user = sr.string();
    else if (f === 4) push(spec, "groups", sr.string());
    else if (f === 6) spec.uid = sr.string();
  }
  out.spec = spec;
};
const readBinding: KindReader = (r, field, out) => {
  if (field === 2)
    push(out, "subjects", strings(r.bytes(), { 1: "kind", 2: "apiGroup", 3: "name", 4: "namespace" }, false));
  else if (field === 3) out.roleRef = strings(r.bytes(), { 1: "apiGroup", 2: "kind", 3: "name" }, false);
};

const addTo = (out: Record<string, unknown>, key: string, [k, v]: [string, string]) => {
  out[key] = { ...((out[key] as Record<string, string> | undefined) ?? {}), [k]: v };
};

const kinds: Record<string, KindReader> = {
  Namespace: (r, field, out) => {
    if (field === 2) {
      const spec = new Reader(r.bytes());
      const finalizers: string[] = [];
      for (const [f] of spec.fields()) if (f === 1) finalizers.push(spec.string());
      out.spec = finalizers.length ? { finalizers } : {};
    }
  },
  ConfigMap: (r, field, out) => {
    if (field === 2) addTo(out, "data", mapEntry(r.bytes(), false));
    else if (field === 3) addTo(out, "binaryData", mapEntry(r.bytes(), true));
    else if (field === 4) out.immutable = r.varint() !== 0;
  },
  Secret: (r, field, out) => {
    if (field === 2) addTo(out, "data", mapEntry(r.bytes(), true));
    else if (field === 3) {
      const type = r.string();
      if (type !== "") out.type = type;
    } else if (field === 4) addTo(out, "stringData", mapEntry(r.bytes(), false));
    else if (field === 5) out.immutable = r.varint() !== 0;
  },
  // ServiceAccount{metadata 1, secrets 2, imagePullSecrets 3, automountServiceAccountToken 4}: kubectl create
  // serviceaccount sends only the metadata
  ServiceAccount: (r, field, out) => {
    if (field === 4) out.automountServiceAccountToken = r.varint() !== 0;
  },
  // authentication/v1 TokenRequest{metadata 1, spec 2}: TokenRequestSpec{audiences 1, boundObjectRef 3
  // {kind 1, apiVersion 2, name 3, uid 4}, expirationSeconds 4} (kubectl create token)
  TokenRequest: (r, field, out) => {
    if (field !== 2) return;
    const spec: Record<string, unknown> = {};
    const sr = new Reader(r.bytes());
    for (const [f] of sr.fields()) {
      if (f === 1) push(spec, "audiences", sr.string());
      else if (f === 3)
        spec.boundObjectRef = strings(sr.bytes(), { 1: "kind", 2: "apiVersion", 3: "name", 4: "uid" }, false);
      else if (f === 4) spec.expirationSeconds = sr.varint();
    }
    out.spec = spec;
  },
  // authorization/v1 reviews: spec 2 = {resourceAttributes 1 {namespace 1, verb 2, group 3, version 4, resource 5,
  // subresource 6, name 7}, nonResourceAttributes 2 {path 1, verb 2}, user 3, groups 4, uid 6}; rules: {namespace 1}
  SelfSubjectAccessReview: readAccessReview,
  SubjectAccessReview: readAccessReview,
  LocalSubjectAccessReview: readAccessReview,
  SelfSubjectRulesReview: (r, field, out) => {
    if (field === 2) out.spec = strings(r.bytes(), { 1: "namespace" }, false);
  },
  Role: readRole,
  ClusterRole: readRole,
  RoleBinding: readBinding,
  ClusterRoleBinding: readBinding,
};

export const protobufKinds = [...Object.keys(kinds), "Job"];

/** "k8s\0" + runtime.Unknown{typeMeta, raw} → the object as JSON would give it; undefined for kinds we cannot read. */
export function decodeProtobufObject(body: Uint8Array): Record<string, unknown> | undefined {
  if (body.length < 4 || body[0] !== 0x6b || body[1] !== 0x38 || body[2] !== 0x73 || body[3] !== 0) {
    throw badRequest("protobuf body does not start with the Kubernetes magic number");
  }
  const envelope = new Reader(body.subarray(4));
  let apiVersion = "";
  let kind = "";
  let raw: Uint8Array | undefined;
  for (const [field] of envelope.fields()) {
    if (field === 1) {
      const tm = new Reader(envelope.bytes());
      for (const [f] of tm.fields()) {
        if (f === 1) apiVersion = tm.string();
        else if (f === 2) kind = tm.string();
      }
    } else if (field === 2) raw = envelope.bytes();
  }
  // A Job is read whole by its field tables (protobufjob.ts).
  if (kind === "Job" && apiVersion === "batch/v1" && raw) return { apiVersion, kind, ...decode(raw, jobSchema) };
  const read = kinds[kind];
  if (!read || !raw) return undefined;
  const out: Record<string, unknown> = { apiVersion, kind };
  const r = new Reader(raw);
  for (const [field] of r.fields()) {
    if (field === 1) out.metadata = objectMeta(r.bytes());
    else read(r, field, out);
  }
  return out;
}
