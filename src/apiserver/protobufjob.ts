// kubectl's protobuf body for a Job (`kubectl create job --from=cronjob/…` POSTs the CronJob's jobTemplate as a
// batch/v1 Job through its typed client). Messages are read by field tables whose numbers are upstream's
// generated.proto (k8s.io/api batch/v1 and core/v1, apimachinery meta/v1 and resource). Go writes its non-pointer
// fields even when unset, so a field we do not read is fine at its zero value and refused (415) otherwise: an object
// is never stored with part of it silently dropped.
import { StatusError } from "./errors.js";
import { Reader } from "./protobufreader.js";

type Scalar = "string" | "int" | "int?" | "bool" | "bool?";
interface Nested {
  message: Schema;
  repeated?: boolean;
  /** Go's embedded struct (Volume's VolumeSource): its fields land in the parent's JSON object. */
  inline?: boolean;
}
type FieldType = Scalar | "strings" | "stringMap" | "quantityMap" | "quantity" | Nested;
interface Schema {
  name: string;
  fields: Record<number, [string, FieldType]>;
  /** Fields read elsewhere or deliberately ignored whatever their value (e.g. a Job's status). */
  ignore?: number[];
}

const unsupported = (schema: Schema, field: number) =>
  new StatusError(
    415,
    "UnsupportedMediaType",
    `protobuf field ${field} of ${schema.name} is not read by stowage; send the object as application/json`,
  );

/** A 64-bit varint as a signed number (int64 fields carry negative values as two's complement). */
const signed = (value: number) => (value >= 2 ** 63 ? value - 2 ** 64 : value);

function mapEntry(bytes: Uint8Array, quantity: boolean): [string, string] {
  const r = new Reader(bytes);
  let key = "";
  let value = "";
  for (const [field] of r.fields()) {
    if (field === 1) key = r.string();
    else if (field === 2) value = quantity ? (decode(r.bytes(), quantitySchema).string as string) : r.string();
  }
  return [key, value];
}

/** Reads one message by its schema into a JSON object. */
export function decode(bytes: Uint8Array, schema: Schema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const r = new Reader(bytes);
  for (const [field, wire] of r.fields()) {
    const spec = schema.fields[field];
    if (!spec) {
      if (schema.ignore?.includes(field)) continue;
      const zero = wire === 0 ? r.varint() === 0 : wire === 2 ? r.bytes().length === 0 : false;
      if (!zero) throw unsupported(schema, field);
      continue;
    }
    const [name, type] = spec;
    if (type === "string") {
      const value = r.string();
      if (value !== "") out[name] = value;
    } else if (type === "int" || type === "int?") {
      const value = signed(r.varint());
      if (value !== 0 || type === "int?") out[name] = value;
    } else if (type === "bool" || type === "bool?") {
      const value = r.varint() !== 0;
      if (value || type === "bool?") out[name] = value;
    } else if (type === "strings") out[name] = [...((out[name] as string[] | undefined) ?? []), r.string()];
    else if (type === "stringMap" || type === "quantityMap") {
      const [k, v] = mapEntry(r.bytes(), type === "quantityMap");
      out[name] = { ...((out[name] as Record<string, string> | undefined) ?? {}), [k]: v };
    } else if (type === "quantity") out[name] = decode(r.bytes(), quantitySchema).string;
    else if (type.inline) Object.assign(out, decode(r.bytes(), type.message));
    else if (type.repeated) {
      out[name] = [...((out[name] as unknown[] | undefined) ?? []), decode(r.bytes(), type.message)];
    } else out[name] = decode(r.bytes(), type.message);
  }
  return out;
}

const quantitySchema: Schema = { name: "Quantity", fields: { 1: ["string", "string"] } };
const message = (schema: Schema, repeated = false): Nested => ({ message: schema, repeated });

const ownerReference: Schema = {
  name: "OwnerReference",
  fields: {
    1: ["kind", "string"],
    3: ["name", "string"],
    4: ["uid", "string"],
    5: ["apiVersion", "string"],
    6: ["controller", "bool?"],
    7: ["blockOwnerDeletion", "bool?"],
  },
};
/** ObjectMeta: what a client may set; server-owned fields (uid, timestamps, managedFields …) are ignored. */
export const objectMetaSchema: Schema = {
  name: "ObjectMeta",
  fields: {
    1: ["name", "string"],
    2: ["generateName", "string"],
    3: ["namespace", "string"],
    11: ["labels", "stringMap"],
    12: ["annotations", "stringMap"],
    13: ["ownerReferences", message(ownerReference, true)],
    14: ["finalizers", "strings"],
  },
  ignore: [4, 5, 6, 7, 8, 9, 10, 15, 16, 17],
};
const selectorRequirement: Schema = {
  name: "LabelSelectorRequirement",
  fields: { 1: ["key", "string"], 2: ["operator", "string"], 3: ["values", "strings"] },
};
const labelSelector: Schema = {
  name: "LabelSelector",
  fields: { 1: ["matchLabels", "stringMap"], 2: ["matchExpressions", message(selectorRequirement, true)] },
};
const containerPort: Schema = {
  name: "ContainerPort",
  fields: {
    1: ["name", "string"],
    2: ["hostPort", "int"],
    3: ["containerPort", "int"],
    4: ["protocol", "string"],
    5: ["hostIP", "string"],
  },
};
const envVar: Schema = { name: "EnvVar", fields: { 1: ["name", "string"], 2: ["value", "string"] } };
const resources: Schema = {
  name: "ResourceRequirements",
  fields: { 1: ["limits", "quantityMap"], 2: ["requests", "quantityMap"] },
};
const volumeMount: Schema = {
  name: "VolumeMount",
  fields: {
    1: ["name", "string"],
    2: ["readOnly", "bool"],
    3: ["mountPath", "string"],
    4: ["subPath", "string"],
    5: ["mountPropagation", "string"],
    6: ["subPathExpr", "string"],
  },
};
const container: Schema = {
  name: "Container",
  fields: {
    1: ["name", "string"],
    2: ["image", "string"],
    3: ["command", "strings"],
    4: ["args", "strings"],
    5: ["workingDir", "string"],
    6: ["ports", message(containerPort, true)],
    7: ["env", message(envVar, true)],
    8: ["resources", message(resources)],
    9: ["volumeMounts", message(volumeMount, true)],
    13: ["terminationMessagePath", "string"],
    14: ["imagePullPolicy", "string"],
    16: ["stdin", "bool"],
    17: ["stdinOnce", "bool"],
    18: ["tty", "bool"],
    20: ["terminationMessagePolicy", "string"],
  },
};
const volumeSource: Schema = {
  name: "VolumeSource",
  fields: {
    1: [
      "hostPath",
      message({ name: "HostPathVolumeSource", fields: { 1: ["path", "string"], 2: ["type", "string"] } }),
    ],
    2: [
      "emptyDir",
      message({ name: "EmptyDirVolumeSource", fields: { 1: ["medium", "string"], 2: ["sizeLimit", "quantity"] } }),
    ],
    10: [
      "persistentVolumeClaim",
      message({
        name: "PersistentVolumeClaimVolumeSource",
        fields: { 1: ["claimName", "string"], 2: ["readOnly", "bool"] },
      }),
    ],
  },
};
const volume: Schema = {
  name: "Volume",
  fields: { 1: ["name", "string"], 2: ["", { message: volumeSource, inline: true }] },
};
const toleration: Schema = {
  name: "Toleration",
  fields: {
    1: ["key", "string"],
    2: ["operator", "string"],
    3: ["value", "string"],
    4: ["effect", "string"],
    5: ["tolerationSeconds", "int?"],
  },
};
const podSpec: Schema = {
  name: "PodSpec",
  fields: {
    1: ["volumes", message(volume, true)],
    2: ["containers", message(container, true)],
    3: ["restartPolicy", "string"],
    4: ["terminationGracePeriodSeconds", "int?"],
    5: ["activeDeadlineSeconds", "int?"],
    6: ["dnsPolicy", "string"],
    7: ["nodeSelector", "stringMap"],
    8: ["serviceAccountName", "string"],
    10: ["nodeName", "string"],
    14: ["securityContext", message({ name: "PodSecurityContext", fields: {} })],
    19: ["schedulerName", "string"],
    20: ["initContainers", message(container, true)],
    21: ["automountServiceAccountToken", "bool?"],
    22: ["tolerations", message(toleration, true)],
    30: ["enableServiceLinks", "bool?"],
  },
  // serviceAccount (9) is the deprecated twin of serviceAccountName, which carries the same name
  ignore: [9],
};
const podTemplateSpec: Schema = {
  name: "PodTemplateSpec",
  fields: { 1: ["metadata", message(objectMetaSchema)], 2: ["spec", message(podSpec)] },
};
const jobSpec: Schema = {
  name: "JobSpec",
  fields: {
    1: ["parallelism", "int?"],
    2: ["completions", "int?"],
    3: ["activeDeadlineSeconds", "int?"],
    4: ["selector", message(labelSelector)],
    5: ["manualSelector", "bool?"],
    6: ["template", message(podTemplateSpec)],
    7: ["backoffLimit", "int?"],
    8: ["ttlSecondsAfterFinished", "int?"],
    9: ["completionMode", "string"],
    10: ["suspend", "bool?"],
    14: ["podReplacementPolicy", "string"],
  },
};

/** batch/v1 Job{metadata 1, spec 2, status 3}: the status a client sends is the server's to set, so it is not read. */
export const jobSchema: Schema = {
  name: "Job",
  fields: { 1: ["metadata", message(objectMetaSchema)], 2: ["spec", message(jobSpec)] },
  ignore: [3],
};
