// What upstream refuses while decoding a body, before any validation: a malformed quantity makes the whole
// object undecodable, answered 400 BadRequest as `<Kind> in version "v1" cannot be handled as a <Kind>: <error>`.
import { Quantity, QuantityError } from "./quantity.js";

type Loose = Record<string, unknown> | undefined;
const asRecord = (value: unknown): Loose =>
  value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const at = (value: unknown, ...path: string[]): unknown => {
  let current = value;
  for (const key of path) current = asRecord(current)?.[key];
  return current;
};

/** The quantity-typed values of an object of `kind`, wherever upstream's Go types declare resource.Quantity. */
function quantities(kind: string, object: unknown): unknown[] {
  const values: unknown[] = [];
  const list = (value: unknown): void => {
    for (const v of Object.values(asRecord(value) ?? {})) values.push(v);
  };
  const claimSpec = (spec: unknown): void => {
    list(at(spec, "resources", "requests"));
    list(at(spec, "resources", "limits"));
  };
  const podSpec = (spec: unknown): void => {
    for (const c of [...asArray(at(spec, "containers")), ...asArray(at(spec, "initContainers"))]) {
      list(at(c, "resources", "requests"));
      list(at(c, "resources", "limits"));
    }
    list(at(spec, "overhead"));
    for (const v of asArray(at(spec, "volumes"))) {
      const sizeLimit = at(v, "emptyDir", "sizeLimit");
      if (sizeLimit !== undefined) values.push(sizeLimit);
      claimSpec(at(v, "ephemeral", "volumeClaimTemplate", "spec"));
    }
  };
  switch (kind) {
    case "PersistentVolume":
      list(at(object, "spec", "capacity"));
      break;
    case "PersistentVolumeClaim":
      claimSpec(at(object, "spec"));
      list(at(object, "status", "capacity"));
      list(at(object, "status", "allocatedResources"));
      break;
    case "Pod":
      podSpec(at(object, "spec"));
      break;
    case "Node":
      list(at(object, "status", "capacity"));
      list(at(object, "status", "allocatable"));
      break;
    case "CSIStorageCapacity":
      for (const key of ["capacity", "maximumVolumeSize"]) {
        const value = at(object, key);
        if (value !== undefined) values.push(value);
      }
      break;
    case "VolumeSnapshot": {
      const size = at(object, "status", "restoreSize");
      if (size !== undefined) values.push(size);
      break;
    }
    case "Deployment":
    case "ReplicaSet":
    case "DaemonSet":
    case "Job":
      podSpec(at(object, "spec", "template", "spec"));
      break;
    case "CronJob":
      podSpec(at(object, "spec", "jobTemplate", "spec", "template", "spec"));
      break;
    case "StatefulSet":
      podSpec(at(object, "spec", "template", "spec"));
      for (const claim of asArray(at(object, "spec", "volumeClaimTemplates"))) claimSpec(at(claim, "spec"));
      break;
  }
  return values;
}

/**
 * upstream's decode error for the first malformed quantity in `object` (e.g. "quantities must match the regular
 * expression '…'"), or undefined. Numbers are accepted as upstream's JSON decoding accepts them.
 */
export function quantityDecodeError(kind: string, object: unknown): string | undefined {
  for (const value of quantities(kind, object)) {
    if (typeof value === "number") continue;
    if (typeof value !== "string") return "quantities must be strings or numbers";
    try {
      Quantity.parse(value);
    } catch (err) {
      if (err instanceof QuantityError) return err.message;
      throw err;
    }
  }
  return undefined;
}

/** The whole 400 message as upstream words it. */
export function decodeErrorMessage(kind: string, version: string, detail: string): string {
  return `${kind} in version ${JSON.stringify(version)} cannot be handled as a ${kind}: ${detail}`;
}
